// Search views (issue 20, Charts): brushing on the parallel coordinates, per-parameter columns and
// range filters in the trials table, EDF, contour and the per-runner timeline, on seeded studies.

import { createDb } from "@hyperensemble/db";
import { DEMO_ORG, DEMO_USER, seedDemo } from "@hyperensemble/platform";
import { expect, type Page, test } from "@playwright/test";
import { parseFilters } from "../src/lib/trial-filters";
import { seriousViolations, signIn } from "./helpers";
import { seedStudy } from "./seed";

const db = createDb(process.env.DATABASE_URL);
const o = `/o/${DEMO_ORG.slug}`;
let studyA = "";
let studyB = "";
const TRIALS = 60;

test.beforeAll(async () => {
  const { org, user } = await seedDemo(db);
  // A failed test restarts the worker and this hook: start from no studies of this file.
  await db.study.deleteMany({ where: { orgId: org.id, name: { startsWith: "Views: " } } });
  studyA = (
    await seedStudy(db, { orgId: org.id, ownerId: user.id, name: "Views: A", trials: TRIALS, seed: 31 })
  ).id;
  studyB = (await seedStudy(db, { orgId: org.id, ownerId: user.id, name: "Views: B", trials: 30, seed: 32 }))
    .id;
  await db.runner.deleteMany({ where: { orgId: org.id, name: "views-gpu-0" } });
  const runner = await db.runner.create({
    data: { orgId: org.id, name: "views-gpu-0", device: {}, backend: "wasm", state: "OFFLINE" },
  });
  await db.trial.updateMany({
    where: { studyId: studyA, number: { in: Array.from({ length: TRIALS / 2 }, (_, i) => 2 * i) } },
    data: { runnerId: runner.id },
  });
});
test.afterAll(async () => {
  await db.$disconnect();
});

/** Trials of A as the database holds them, with their objective. */
async function trialsOfA() {
  const rows = await db.trial.findMany({ where: { studyId: studyA }, include: { result: true } });
  return rows.map((t) => ({
    number: t.number,
    state: t.state,
    value: t.result?.value ?? null,
    params: t.params as Record<string, string | number | boolean>,
  }));
}

/** Drags along a parallel-coordinates axis from one fraction of its height to another (0 = top). */
async function brush(page: Page, axis: string, from: number, to: number) {
  const hit = page.getByTestId(`brush-${axis}`);
  await hit.scrollIntoViewIfNeeded();
  const box = (await hit.boundingBox())!;
  const x = box.x + box.width / 2;
  await page.mouse.move(x, box.y + box.height * from);
  await page.mouse.down();
  await page.mouse.move(x, box.y + box.height * ((from + to) / 2), { steps: 4 });
  await page.mouse.move(x, box.y + box.height * to, { steps: 4 });
  await page.mouse.up();
}

/** The table's "(N total)" (the count of the filtered set). */
const tableTotal = (page: Page) => page.getByRole("navigation", { name: "Trial pages" });
const filtersInUrl = (page: Page) => parseFilters(new URL(page.url()).searchParams.get("tf"));

test("brushing: axes combine, the table and charts follow, the URL shares it, Clear and the range inputs", async ({
  page,
}) => {
  await signIn(page, DEMO_USER.email, DEMO_USER.password, DEMO_ORG.slug);
  await page.goto(`${o}/studies/${studyA}`);
  await expect(page.getByTestId("parallel-chart")).toBeVisible();
  await expect(tableTotal(page)).toContainText(`(${TRIALS} total)`);
  const all = await trialsOfA();

  // Drag on the (log) learning-rate axis: a range, in the URL, and the table shows exactly those trials.
  await brush(page, "learning_rate", 0.15, 0.65);
  await expect.poll(() => filtersInUrl(page).map((f) => f.name)).toEqual(["learning_rate"]);
  const [lr] = filtersInUrl(page) as [{ name: string; min: number; max: number }];
  expect(lr.min).toBeLessThan(lr.max);
  const inLr = all.filter((t) => {
    const v = t.params["learning_rate"] as number;
    return v >= lr.min && v <= lr.max;
  });
  expect(inLr.length).toBeGreaterThan(0);
  expect(inLr.length).toBeLessThan(TRIALS);
  await expect(tableTotal(page)).toContainText(`(${inLr.length} total)`);

  // A second axis (categorical, slots sigmoid below tanh): the lower slot only; AND with the first.
  await brush(page, "activation", 0.95, 0.6);
  await expect.poll(() => filtersInUrl(page).length).toBe(2);
  expect(filtersInUrl(page)[1]).toEqual({ name: "activation", values: ["sigmoid"] });
  const both = inLr.filter((t) => t.params["activation"] === "sigmoid");
  await expect(tableTotal(page)).toContainText(`(${both.length} total)`);
  for (const cell of await page.locator('td[data-param="activation"]').allTextContents())
    expect(cell).toBe("sigmoid");
  await expect(page.getByTestId("brush-summary")).toContainText(`Brushed: ${both.length} of ${TRIALS}`);
  await expect(page.getByTestId("parallel-brush")).toHaveCount(2);
  // The other charts draw only brushed trials: the EDF counts the completed ones.
  const completed = both.filter((t) => t.state === "COMPLETE").length;
  await expect(page.getByText(`this study (${completed} trials)`)).toBeVisible();
  await expect(page.getByTestId("history-chart").locator("circle")).toHaveCount(completed);

  // Shareable: the same URL in a fresh tab shows the same brush and table.
  const shared = await page.context().newPage();
  await shared.goto(page.url());
  await expect(shared.getByTestId("parallel-brush")).toHaveCount(2);
  await expect(tableTotal(shared)).toContainText(`(${both.length} total)`);
  // The keyboard path holds the brushed values.
  await expect(shared.locator("#tf-learning_rate-min")).toHaveValue(String(lr.min));
  await shared.close();

  // Clear.
  await page.getByRole("button", { name: "Clear brush" }).click();
  await expect(page.getByTestId("brush-summary")).toHaveCount(0);
  await expect.poll(() => new URL(page.url()).searchParams.has("tf")).toBe(false);
  await expect(tableTotal(page)).toContainText(`(${TRIALS} total)`);

  // Keyboard alternative: the table's range inputs write the same filter, which the chart draws.
  await page.locator("#tf-n_layers-min").fill("2");
  await page.locator("#tf-n_layers-min").press("Enter");
  await expect.poll(() => filtersInUrl(page)).toEqual([{ name: "n_layers", min: 2 }]);
  const deep = all.filter((t) => (t.params["n_layers"] as number) >= 2).length;
  await expect(tableTotal(page)).toContainText(`(${deep} total)`);
  await expect(page.getByTestId("parallel-brush")).toHaveCount(1);
  // Combined with the state filter and paging (25 rows a page).
  await page.locator("#trial-state").selectOption("COMPLETE");
  const deepDone = all.filter((t) => (t.params["n_layers"] as number) >= 2 && t.state === "COMPLETE").length;
  await expect(tableTotal(page)).toContainText(`(${deepDone} total)`);
  // Impossible ranges are refused in place, naming the field.
  await page.locator("#tf-units_1-min").fill("40");
  await page.locator("#tf-units_1-max").fill("20");
  await page.getByRole("button", { name: "Apply range filters" }).click();
  await expect(page.getByText("units_1: min must not exceed max")).toBeVisible();
  await expect(page.locator("#tf-units_1-min")).toHaveAttribute("aria-invalid", "true");
});

test("per-parameter columns format log, int and categorical values", async ({ page }) => {
  await signIn(page, DEMO_USER.email, DEMO_USER.password, DEMO_ORG.slug);
  await page.goto(`${o}/studies/${studyA}?tsort=number`);
  // One column per parameter (in the order the stored space lists them).
  await expect(page.getByTestId("param-column")).toHaveCount(4);
  expect((await page.getByTestId("param-column").allTextContents()).sort()).toEqual([
    "activation",
    "learning_rate (log)",
    "n_layers",
    "units_1",
  ]);
  const first = await db.trial.findFirstOrThrow({ where: { studyId: studyA, number: 0 } });
  const p = first.params as { n_layers: number; units_1: number; activation: string; learning_rate: number };
  const row = page.getByTestId("trial-row").first();
  await expect(row.locator('td[data-param="n_layers"]')).toHaveText(String(p.n_layers));
  await expect(row.locator('td[data-param="activation"]')).toHaveText(p.activation);
  await expect(row.locator('td[data-param="learning_rate"]')).toHaveText(p.learning_rate.toExponential(2));
});

test("EDF, contour and timeline: drawn from the data, exportable, axe-clean light and dark, no overflow at 390 px", async ({
  page,
}) => {
  await signIn(page, DEMO_USER.email, DEMO_USER.password, DEMO_ORG.slug);
  await page.goto(`${o}/studies/${studyA}`);
  const all = await trialsOfA();
  const completed = all.filter((t) => t.state === "COMPLETE");

  await expect(page.getByTestId("edf-chart").locator("path[data-series]")).toHaveCount(1);
  await expect(page.getByText(`this study (${completed.length} trials)`)).toBeVisible();

  // Contour over a log and an int parameter: log axis named, every completed trial in one cell.
  await page.getByTestId("contour-x").selectOption("learning_rate");
  await page.getByTestId("contour-y").selectOption("units_1");
  const contour = page.getByTestId("contour-chart");
  await expect(contour.getByText("learning_rate (log scale)")).toBeVisible();
  const titles = await contour.locator('[data-testid="contour-cell"] title').allTextContents();
  expect(titles.length).toBeGreaterThan(1);
  const counted = titles.reduce((n, t) => n + Number(t.match(/over (\d+) trial/)?.[1] ?? 0), 0);
  expect(counted).toBe(completed.length);

  // Timeline: one lane per runner; bars coloured by state; a bar opens its trial.
  const timeline = page.getByTestId("timeline-chart");
  await expect(timeline.locator('g[data-lane="views-gpu-0"] rect')).toHaveCount(TRIALS / 2);
  await expect(timeline.locator('g[data-lane="(no runner)"] rect')).toHaveCount(TRIALS / 2);
  // Each lane's bars sit on the line of its runner's name.
  for (const lane of ["views-gpu-0", "(no runner)"]) {
    const name = (await timeline.locator(`g[data-lane="${lane}"] text`).boundingBox())!;
    const bar = (await timeline.locator(`g[data-lane="${lane}"] rect`).first().boundingBox())!;
    const middle = name.y + name.height / 2;
    expect(bar.y, lane).toBeLessThan(middle);
    expect(bar.y + bar.height, lane).toBeGreaterThan(middle);
  }
  await expect(timeline.locator('rect[data-state="FAIL"]')).toHaveCount(
    all.filter((t) => t.state === "FAIL").length,
  );
  await timeline.locator('g[data-lane="views-gpu-0"] rect[data-trial="0"]').dispatchEvent("click");
  await expect(page).toHaveURL(/[?&]trial=0\b/);
  await page.goto(`${o}/studies/${studyA}`);
  await expect(page.getByTestId("timeline-chart")).toBeVisible();

  // Each exports as SVG (and PNG: the same wrapper).
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download Per-runner trial timeline as SVG" }).click();
  expect((await download).suggestedFilename()).toMatch(/\.svg$/);
  for (const name of [
    "Empirical distribution of the objective",
    "Contour: mean objective over \\w+ and \\w+",
  ])
    await expect(
      page.getByRole("button", { name: new RegExp(`^Download ${name} as PNG \\(2x\\)$`) }),
    ).toBeVisible();

  // Compare: one EDF curve per study.
  await page.goto(`${o}/compare?ids=${studyA},${studyB}`);
  await expect(page.getByTestId("edf-chart").locator("path[data-series]")).toHaveCount(2);

  // axe in both themes, with a brush applied on the study page.
  const problems: string[] = [];
  const pages = [
    `${o}/studies/${studyA}?tf=${encodeURIComponent("learning_rate:0.002:0.02")}`,
    `${o}/compare?ids=${studyA},${studyB}`,
  ];
  for (const theme of ["light", "dark"] as const) {
    await page.evaluate((t) => localStorage.setItem("hens-theme", t), theme);
    for (const url of pages) {
      await page.goto(url);
      await expect(page.getByTestId("edf-chart").first()).toBeVisible();
      await expect(page.getByText(/^Loading /)).toHaveCount(0);
      if (theme === "dark") await expect(page.locator("html")).toHaveClass(/dark/);
      for (const v of await seriousViolations(page)) problems.push(`${theme} ${url}: ${v}`);
    }
  }
  expect(problems).toEqual([]);

  // Phones: nothing scrolls sideways at 390 px.
  await page.setViewportSize({ width: 390, height: 844 });
  for (const url of pages) {
    await page.goto(url);
    await expect(page.getByTestId("timeline-chart").or(page.getByTestId("edf-chart")).first()).toBeVisible();
    await expect(page.getByText(/^Loading /)).toHaveCount(0);
    const sideways = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(sideways, url).toBeLessThanOrEqual(0);
  }
});
