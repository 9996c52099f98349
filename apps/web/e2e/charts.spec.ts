// Charts and controls that misled a new member (issue 20), each checked on the built app against
// seeded studies: Compare's best-so-far lines run on to each study's last finished trial, the
// learning curve names its quantity, the prediction band is defined in the legend, the scheduler's
// settings are in the form and reach the study, and the studies list polls only while something can
// still change.
import { createDb } from "@hyperensemble/db";
import { DEMO_ORG, DEMO_USER, seedDemo } from "@hyperensemble/platform";
import { expect, type Page, test } from "@playwright/test";
import { signIn } from "./helpers";
import { seedMember, seedStudy } from "./seed";

const db = createDb(process.env.DATABASE_URL);
const o = `/o/${DEMO_ORG.slug}`;
let long = "";
let short = "";
let orgId = "";

test.beforeAll(async () => {
  const { org, user } = await seedDemo(db);
  orgId = org.id;
  // A failed test restarts the worker and this hook: start from no studies of this file.
  await db.study.deleteMany({ where: { orgId: org.id, name: { startsWith: "Charts: " } } });
  long = (
    await seedStudy(db, {
      orgId: org.id,
      ownerId: user.id,
      name: "Charts: long",
      trials: 40,
      seed: 31,
      curves: 6,
      withPredictions: true,
    })
  ).id;
  short = (
    await seedStudy(db, { orgId: org.id, ownerId: user.id, name: "Charts: short", trials: 12, seed: 32 })
  ).id;
});
test.afterAll(async () => {
  await db.$disconnect();
});

const signInDemo = (page: Page) => signIn(page, DEMO_USER.email, DEMO_USER.password, DEMO_ORG.slug);

/** The last finished trial of a study, as the database has it. */
async function lastFinished(studyId: string) {
  const t = await db.trial.findFirst({
    where: { orgId, studyId, state: { in: ["COMPLETE", "PRUNED", "FAIL"] } },
    orderBy: { number: "desc" },
    select: { number: true },
  });
  return t?.number ?? 0;
}

test("Compare: each best-so-far line runs on to its study's last finished trial", async ({ page }) => {
  await signInDemo(page);
  await page.goto(`${o}/compare?ids=${long},${short}`);
  const chart = page.getByTestId("compare-history");
  await expect(chart).toBeVisible();
  // The x axis from its own tick labels (two ticks fix a linear axis), and each line's last point.
  const drawn = await chart.evaluate((svg) => {
    const texts = [...svg.querySelectorAll("text")].filter((t) => t.getAttribute("text-anchor") === "middle");
    const ticks = texts
      .map((t) => ({ x: Number(t.getAttribute("x")), v: Number(t.textContent) }))
      .filter((t) => Number.isFinite(t.v) && t.x > 0);
    const ends = [...svg.querySelectorAll("path[stroke-width='2']")].map((p) => {
      const pairs = (p.getAttribute("d") ?? "").match(/-?[\d.]+,-?[\d.]+/g) ?? [];
      return Number(pairs.at(-1)?.split(",")[0]);
    });
    return { ticks, ends };
  });
  expect(drawn.ticks.length).toBeGreaterThanOrEqual(2);
  const [t0, t1] = [drawn.ticks[0]!, drawn.ticks.at(-1)!];
  const xOf = (n: number) => t0.x + ((n - t0.v) / (t1.v - t0.v)) * (t1.x - t0.x);
  const expected = [xOf(await lastFinished(long)), xOf(await lastFinished(short))].sort((a, b) => a - b);
  const ends = [...drawn.ends].sort((a, b) => a - b);
  expect(ends).toHaveLength(2);
  for (let i = 0; i < 2; i++) expect(Math.abs(ends[i]! - expected[i]!)).toBeLessThan(1);
});

test("the trial dialog names the learning curve's quantity and defines the prediction band", async ({
  page,
}) => {
  await signInDemo(page);
  const withCurve = await db.trial.findFirst({
    where: { orgId, studyId: long, intermediate: { some: {} }, result: { isNot: null } },
    orderBy: { number: "asc" },
    select: { number: true },
  });
  expect(withCurve).not.toBeNull();
  await page.goto(`${o}/studies/${long}?trial=${withCurve!.number}`);
  const dialog = page.getByTestId("trial-detail");
  await expect(dialog).toBeVisible();
  const curve = dialog.getByTestId("curves-chart");
  await expect(curve).toBeVisible();
  await expect(curve.locator("text", { hasText: "validation χ² per point" })).toHaveCount(1);
  const legend = dialog.getByTestId("predictions-chart").getByRole("list", { name: "Legend" }).first();
  await expect(legend).toContainText("band: mean ± 1σ over the ensemble's members");
  // A closure study knows its truth and says so.
  await expect(legend).toContainText("truth (closure test)");
});

test("a scheduler's settings are in the form and reach the study", async ({ page }) => {
  await signInDemo(page);
  await page.goto(`${o}/studies/new`);
  await page.locator("#name").fill("Charts: asha settings");
  await page.locator("#scheduler").selectOption("asha");
  await page.getByTestId("scheduler-options").locator("summary").click();
  await page.locator("#scheduler-option-gracePeriod").fill("20");
  await page.locator("#scheduler-option-eta").fill("3");
  await page.locator("#trials").fill("1");
  await page.locator("#replicas").fill("2");
  await page.locator("#maxEpochs").fill("40");
  await page.getByRole("button", { name: "Create study" }).click();
  await expect(page.getByTestId("study-name")).toHaveText("Charts: asha settings");
  const id = page.url().split("/").at(-1)!.split(/[?#]/)[0]!;
  const study = await db.study.findFirstOrThrow({
    where: { orgId, id },
    select: { scheduler: true, schedulerOptions: true },
  });
  expect(study).toEqual({ scheduler: "asha", schedulerOptions: { gracePeriod: 20, eta: 3 } });
  // The page says which scheduler runs, with the settings given.
  const summary = page.getByTestId("search-summary");
  await expect(summary).toContainText("/ asha");
  await expect(summary).toContainText('"gracePeriod":20');
  await expect(summary).toContainText('"eta":3');
  page.on("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: "Cancel" }).click();
  await expect(page.getByTestId("study-state")).toContainText(/CANCELLED|COMPLETED/);
});

test("the studies list polls only while one of its studies can still change", async ({ page }) => {
  // An organisation of its own: other files' running studies do not count here.
  const lab = { orgSlug: "poll-lab", email: "poll@charts.test", password: "poll-password-1" };
  const { org, user } = await seedMember(db, lab);
  await db.study.deleteMany({ where: { orgId: org.id } });
  await seedStudy(db, { orgId: org.id, ownerId: user.id, name: "Charts: ended", trials: 4, seed: 41 });
  let lists = 0;
  page.on("request", (r) => {
    if (r.url().includes("/api/trpc/") && r.url().includes("study.list")) lists++;
  });
  await page.clock.install();
  await signIn(page, lab.email, lab.password, lab.orgSlug);
  await expect(page.getByTestId("study-row")).toHaveCount(1);
  const before = lists;
  await page.clock.runFor(60_000);
  await page.waitForTimeout(300);
  expect(lists, "no refresh while every listed study has ended").toBe(before);

  await seedStudy(db, {
    orgId: org.id,
    ownerId: user.id,
    name: "Charts: running",
    trials: 4,
    seed: 42,
    state: "RUNNING",
  });
  await page.reload();
  await expect(page.getByTestId("study-row")).toHaveCount(2);
  const withActive = lists;
  await page.clock.runFor(31_000);
  await expect.poll(() => lists, { message: "refreshes while a study runs" }).toBeGreaterThan(withActive);
});

test("a multi-objective study shows its Pareto front; an auto study shows the sampler it picked", async ({
  page,
}) => {
  const user = await db.user.findUniqueOrThrow({ where: { email: DEMO_USER.email } });
  const multi = (
    await seedStudy(db, { orgId, ownerId: user.id, name: "Charts: nsga2", trials: 24, seed: 51 })
  ).id;
  await db.study.update({ where: { id: multi }, data: { sampler: "nsga2", samplerOptions: {} } });
  const auto = (await seedStudy(db, { orgId, ownerId: user.id, name: "Charts: auto", trials: 6, seed: 52 }))
    .id;
  await db.study.update({
    where: { id: auto },
    data: {
      sampler: "auto",
      samplerOptions: {},
      samplerChoice: { name: "tpe", reason: "a categorical parameter" },
    },
  });
  // The front, independently: completed trials no other completed trial beats on both L1 (lower) and phi2 (higher).
  const done = await db.trial.findMany({
    where: { orgId, studyId: multi, state: "COMPLETE", result: { isNot: null } },
    select: { number: true, result: { select: { L1: true, phi2: true } } },
  });
  const pts = done.map((t) => ({ n: t.number, L1: t.result!.L1!, phi2: t.result!.phi2! }));
  const front = pts
    .filter((p) => !pts.some((q) => q.L1 <= p.L1 && q.phi2 >= p.phi2 && (q.L1 < p.L1 || q.phi2 > p.phi2)))
    .map((p) => p.n)
    .sort((a, b) => a - b);
  expect(front.length).toBeGreaterThan(0);

  await signInDemo(page);
  await page.goto(`${o}/studies/${multi}`);
  const card = page.getByTestId("pareto-front");
  await expect(card).toContainText(`${front.length} trials`);
  await expect(card.getByRole("img", { name: "Pareto front" }).locator("circle")).toHaveCount(front.length);
  // The table lists the front by L1; as a set it is the independent front.
  const listed = (await card.locator("tbody tr td:first-child").allTextContents())
    .map((t) => Number(t.replace(/\D/g, "")))
    .sort((a, b) => a - b);
  expect(listed).toEqual(front);

  await page.goto(`${o}/studies/${auto}`);
  await expect(page.getByTestId("search-summary")).toContainText("auto → tpe (a categorical parameter)");
});
