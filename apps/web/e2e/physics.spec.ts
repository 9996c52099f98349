// Physics views at study level (issue 20): on a seeded closure study whose results carry the
// per-sub-dataset χ²/N, stopping epochs and replica curves, the study page and the trial dialog show
// every panel, axe stays clean in both themes, and nothing scrolls sideways at 390 px.
import { createDb } from "@hyperensemble/db";
import { DEMO_ORG, DEMO_USER, seedDemo } from "@hyperensemble/platform";
import { expect, type Page, test } from "@playwright/test";
import { seriousViolations, signIn } from "./helpers";
import { seedStudy } from "./seed";

const db = createDb(process.env.DATABASE_URL);
const o = `/o/${DEMO_ORG.slug}`;
let studyId = "";

test.beforeAll(async () => {
  const { org, user } = await seedDemo(db);
  // A failed test restarts the worker and this hook: start from no studies of this file.
  await db.study.deleteMany({ where: { orgId: org.id, name: { startsWith: "Physics: " } } });
  studyId = (
    await seedStudy(db, {
      orgId: org.id,
      ownerId: user.id,
      name: "Physics: closure views",
      trials: 30,
      seed: 41,
      withPredictions: true,
      withPhysics: true,
    })
  ).id;
});
test.afterAll(async () => {
  await db.$disconnect();
});

/** Every physics panel inside `scope` is drawn (not its "no data" text). */
async function expectPanels(page: Page, scope: string) {
  const panel = page.locator(scope).getByTestId("physics-panel");
  await expect(panel).toBeVisible();
  const subsets = panel.getByTestId("subset-chi2");
  await expect(subsets.getByRole("rowheader", { name: "DIS_A" })).toBeVisible();
  await expect(subsets.getByRole("rowheader", { name: "DY_C" })).toBeVisible();
  await expect(subsets.getByTestId("subset-chi2-bars")).toBeVisible();
  await expect(panel.getByTestId("experiment-panels").locator("figure")).toHaveCount(3);
  await expect(panel.getByTestId("pull-histogram").getByRole("img")).toBeVisible();
  await expect(panel.getByText("unit normal N(0, 1)")).toBeVisible();
  await expect(panel.getByTestId("physics-replica-chi2").getByRole("img")).toBeVisible();
  await expect(panel.getByTestId("physics-stopping").getByRole("img")).toBeVisible();
  await expect(
    panel.getByTestId("physics-closure").getByText("bias / variance", { exact: true }),
  ).toBeVisible();
  const flavours = panel.getByTestId("flavour-panels");
  await expect(flavours.getByRole("img", { name: /^Ratio to truth of u_v/ })).toBeVisible();
  await expect(flavours.getByText(/replica curves \(6 stored/)).toBeVisible();
  await expect(flavours.getByRole("img", { name: /u_v with replica curves/ })).toContainText("x (log)");
  await flavours.getByLabel("linear x").check();
  await expect(flavours.getByRole("img", { name: /u_v with replica curves/ })).not.toContainText("x (log)");
}

test("the study page and the trial dialog show every physics panel; axe clean in both themes", async ({
  page,
}) => {
  await signIn(page, DEMO_USER.email, DEMO_USER.password, DEMO_ORG.slug);
  const problems: string[] = [];
  for (const theme of ["light", "dark"] as const) {
    await page.evaluate((t) => localStorage.setItem("hens-theme", t), theme);
    await page.goto(`${o}/studies/${studyId}`);
    await expect(page.getByTestId("study-physics")).toBeVisible();
    await expect(page.getByText(/^Loading /)).toHaveCount(0);
    if (theme === "dark") await expect(page.locator("html")).toHaveClass(/dark/);
    await expectPanels(page, "[data-testid=study-physics]");
    for (const v of await seriousViolations(page)) problems.push(`${theme} study: ${v}`);
    await page.goto(`${o}/studies/${studyId}?trial=0`);
    await expect(page.getByTestId("trial-detail")).toBeVisible();
    await expectPanels(page, "[data-testid=trial-detail]");
    for (const v of await seriousViolations(page)) problems.push(`${theme} trial: ${v}`);
  }
  expect(problems).toEqual([]);
});

test("closure estimators are trial columns, a sort, and axes of the scatter and parallel coordinates", async ({
  page,
}) => {
  await signIn(page, DEMO_USER.email, DEMO_USER.password, DEMO_ORG.slug);
  await page.goto(`${o}/studies/${studyId}`);
  const table = page.getByTestId("trials-table");
  await expect(table.getByRole("columnheader", { name: /Bias \/ var\./ })).toBeVisible();
  await table.getByRole("button", { name: /Bias \/ var\./ }).click();
  await expect(page).toHaveURL(/tsort=closureRatio/);
  // Sorted ascending: the ratios down the page never decrease (failed trials, without one, go last).
  // Polled: the previous page stays on screen until the sorted one arrives.
  const ratios = async () =>
    (await table.getByTestId("trial-closure-ratio").allInnerTexts()).filter((t) => t !== "–").map(Number);
  await expect
    .poll(async () => {
      const r = await ratios();
      return r.length > 3 && r.every((v, i) => i === 0 || v >= r[i - 1]!);
    })
    .toBe(true);
  const scatter = page.getByTestId("metric-scatter");
  await scatter.getByLabel("y axis").selectOption("variance");
  await scatter.getByLabel("x axis").selectOption("bias");
  await expect(
    scatter.getByRole("img", { name: "closure variance against closure bias per trial" }),
  ).toBeVisible();
  await page.getByLabel("closure axes").check();
  await expect(page.getByTestId("parallel-chart")).toContainText("bias / variance");
});

test.describe("phone", () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  test("no horizontal overflow at 390 px on the study page and the trial dialog", async ({ page }) => {
    await signIn(page, DEMO_USER.email, DEMO_USER.password, DEMO_ORG.slug);
    for (const url of [`${o}/studies/${studyId}`, `${o}/studies/${studyId}?trial=0`]) {
      await page.goto(url);
      await expect(page.getByTestId("physics-panel").first()).toBeVisible();
      await expect(page.getByText(/^Loading /)).toHaveCount(0);
      const scroll = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect(scroll, url).toBeLessThanOrEqual(0);
    }
  });
});
