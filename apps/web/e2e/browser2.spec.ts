// The browser's second pass (issue 20): each test reproduces a bug a new member hit and checks the
// fix, on seeded studies (no training) against the built app.

import path from "node:path";
import { createDb } from "@hyperensemble/db";
import { DEMO_ORG, DEMO_USER, seedDemo } from "@hyperensemble/platform";
import { expect, type Locator, type Page, test } from "@playwright/test";
import { screenshotDir, seriousViolations, signIn } from "./helpers";
import { seedStudy } from "./seed";

const db = createDb(process.env.DATABASE_URL);
const o = `/o/${DEMO_ORG.slug}`;
let healthy = "";
let allFailed = "";
let cancelled = "";

/** A finished study whose every trial failed with `reason` (or was stopped by Cancel). */
async function seedEnded(
  orgId: string,
  ownerId: string,
  name: string,
  state: "COMPLETED" | "CANCELLED",
  reasons: string[],
) {
  const study = await db.study.create({
    data: {
      orgId,
      ownerId,
      name,
      state,
      task: { kind: "closure", level: 2 },
      searchSpace: { lr: { type: "float", low: 0.001, high: 0.1, log: true } },
      ensemble: { replicas: 4, folds: 2 },
      training: { maxEpochs: 100, reportEvery: 10 },
      seed: 5,
      maxTrials: reasons.length,
      parallelism: 2,
      startedAt: new Date(Date.now() - 60_000),
      finishedAt: new Date(),
    },
  });
  await db.trial.createMany({
    data: reasons.map((error, number) => ({
      orgId,
      studyId: study.id,
      number,
      state: "FAIL" as const,
      error,
      params: { lr: 0.01 },
      startedAt: new Date(Date.now() - 50_000 + number * 1000),
      finishedAt: new Date(Date.now() - 40_000 + number * 1000),
    })),
  });
  return study.id;
}

test.beforeAll(async () => {
  const { org, user } = await seedDemo(db);
  // A failed test restarts the worker and this hook: start from no studies of this file.
  await db.study.deleteMany({ where: { orgId: org.id, name: { startsWith: "B2: " } } });
  healthy = (
    await seedStudy(db, { orgId: org.id, ownerId: user.id, name: "B2: healthy", trials: 30, seed: 11 })
  ).id;
  allFailed = await seedEnded(org.id, user.id, "B2: all failed", "COMPLETED", [
    "folds: 2 folds need at least 2 sub-datasets that are not always fitted (have 1)",
    "folds: 2 folds need at least 2 sub-datasets that are not always fitted (have 1)",
    "loss is NaN",
    "loss is NaN",
  ]);
  cancelled = await seedEnded(org.id, user.id, "B2: cancelled", "CANCELLED", [
    "study cancelled",
    "cancelled",
    "loss is NaN",
  ]);
});
test.afterAll(async () => {
  await db.$disconnect();
});

const signInDemo = (page: Page) => signIn(page, DEMO_USER.email, DEMO_USER.password, DEMO_ORG.slug);

/** Whether a select is wide enough for its widest option's text (measured in the select's own font). */
const widestOptionFits = (select: Locator) =>
  select.evaluate((el) => {
    const s = el as HTMLSelectElement;
    const canvas = document.createElement("canvas").getContext("2d");
    if (!canvas) return false;
    canvas.font = getComputedStyle(s).font;
    const widest = Math.max(...[...s.options].map((x) => canvas.measureText(x.text).width));
    return s.clientWidth >= widest + 16;
  });

test("builder: 'Only when' on a fresh row does not crash; operator readable; empty condition marked once", async ({
  page,
}) => {
  const crashes: string[] = [];
  page.on("pageerror", (e) => crashes.push(e.message));
  await signInDemo(page);
  await page.goto(`${o}/studies/new`);
  await page.getByRole("button", { name: "Add parameter" }).click();
  // The new row takes the next hyperparameter the space does not use yet (the registry's order).
  const names = page.locator('input[aria-label^="Name of "]');
  const row = await names.last().inputValue();
  await expect(page.getByLabel(`Name of ${row}`)).toBeVisible();
  // The bug: choosing a parent here threw "(… ?? []).forEach is not a function" and blanked the page.
  await page.getByLabel(`Condition parameter of ${row}`).selectOption("n_layers");
  await expect(page.getByTestId("space-preview").locator("tbody tr")).toHaveCount(5);
  await expect(page.getByLabel(`Condition operator of ${row}`)).toHaveValue("gte");
  await expect(page.getByLabel(`Condition value of ${row}`)).toHaveValue("1");
  // Every operator's text fits its column.
  const op = page.getByLabel(`Condition operator of ${row}`);
  await op.selectOption("in");
  await page.getByLabel(`Condition value of ${row}`).fill("");
  expect(await widestOptionFits(op)).toBe(true);
  // Types and choices are not cut off: every type's name fits its select, and the default space's
  // categorical choices show whole in their cell.
  expect(await widestOptionFits(page.locator('select[aria-label^="Type of "]').first())).toBe(true);
  const choices = page.getByLabel("Choices of activation");
  await expect(choices).not.toHaveValue("");
  expect(await choices.evaluate((el) => el.scrollWidth <= el.clientWidth + 1)).toBe(true);
  // An empty "is one of": named once, in words, and the cell marked.
  const errors = page.getByTestId("space-errors");
  await expect(errors).toContainText(`${row} › Condition value`);
  await expect(errors.locator("li")).toHaveCount(1);
  await expect(page.getByLabel(`Condition value of ${row}`)).toHaveAttribute("aria-invalid", "true");
  // The condition stays editable from this state.
  await page.getByLabel(`Condition value of ${row}`).fill("2, 3");
  await expect(page.getByTestId("space-preview")).toBeVisible();
  await page.getByLabel(`Condition parameter of ${row}`).selectOption("activation");
  await expect(page.getByLabel(`Condition value of ${row}`)).toHaveValue("tanh");
  await page.getByLabel(`Condition parameter of ${row}`).selectOption("");
  await expect(page.getByTestId("space-preview")).toBeVisible();
  expect(crashes).toEqual([]);
});

test("builder preview: labelled, from the study's seed", async ({ page }) => {
  await signInDemo(page);
  await page.goto(`${o}/studies/new`);
  const title = page.getByTestId("space-preview-title");
  await expect(title).toContainText("the server draws one");
  const before = await page.getByTestId("space-preview").locator("tbody").textContent();
  await page.getByLabel("Seed (optional)").fill("42");
  await expect(title).toHaveText("The first 5 trials this study will run: auto sampler, seed 42");
  await expect(page.getByTestId("space-preview").locator("tbody")).not.toHaveText(before ?? "");
  const with42 = await page.getByTestId("space-preview").locator("tbody").textContent();
  await page.getByLabel("Seed (optional)").fill("43");
  await expect(page.getByTestId("space-preview").locator("tbody")).not.toHaveText(with42 ?? "");
  await page.getByLabel("Seed (optional)").fill("42");
  await expect(page.getByTestId("space-preview").locator("tbody")).toHaveText(with42 ?? "");
});

test("form errors speak the labels, focus the first invalid field; folds checked against the task", async ({
  page,
}) => {
  await signInDemo(page);
  await page.goto(`${o}/studies/new`);
  await page.getByLabel("Name", { exact: true }).fill("B2: too many folds");
  await page.getByLabel("Max epochs").fill("lots");
  await page.getByRole("button", { name: "Create study" }).click();
  await expect(page.locator("#maxEpochs-error")).toHaveText("Max epochs must be a number");
  await expect(page.getByLabel("Max epochs")).toBeFocused();
  await page.getByLabel("Max epochs").fill("100");
  // Folds 7 on the closure task: refused at creation (a 400 naming folds), nothing stored.
  await page.getByLabel("Folds").fill("7");
  await page.getByRole("button", { name: "Create study" }).click();
  await expect(page.locator("#folds-error")).toContainText("the closure task has 6");
  await expect(page.getByLabel("Folds")).toBeFocused();
  expect(await db.study.count({ where: { name: "B2: too many folds" } })).toBe(0);
});

test("spec editor: a YAML syntax error has its line and column", async ({ page }) => {
  await signInDemo(page);
  await page.goto(`${o}/studies/new`);
  await page.getByRole("tab", { name: "YAML / JSON spec" }).click();
  await page.getByLabel("Study spec (YAML or JSON)").fill("name: x\nreplicas: [4, 8\ntrials: 2\n");
  const errors = page.getByTestId("spec-errors");
  await expect(errors).toContainText(/line \d+, column \d+/);
  await expect(errors).not.toContainText("(document)");
});

test("an all-failed study reads FAILED with its first reason, on the page and in the list", async ({
  page,
}) => {
  await signInDemo(page);
  await page.goto(`${o}/studies/${allFailed}`);
  await expect(page.getByTestId("study-state")).toHaveText("FAILED");
  await expect(page.getByTestId("failure-reason")).toContainText("2 folds need at least 2 sub-datasets");
  await expect(page.getByTestId("trial-reason").first()).toContainText("2 folds need");
  await page.screenshot({ path: path.join(screenshotDir, "study-failed.png"), fullPage: true });
  await page.goto(`${o}/studies?q=B2`);
  const row = page.getByTestId("study-row").filter({ hasText: "B2: all failed" });
  await expect(row.locator("[data-state]")).toHaveText("FAILED");
  await expect(row.getByTestId("study-failure")).toContainText("4 failed: folds: 2 folds need");
  for (const theme of ["light", "dark"] as const) {
    await page.evaluate((t) => localStorage.setItem("hens-theme", t), theme);
    await page.goto(`${o}/studies/${allFailed}`);
    await expect(page.getByTestId("failure-banner")).toBeVisible();
    await expect(page.getByText(/^Loading /)).toHaveCount(0);
    expect(await seriousViolations(page)).toEqual([]);
  }
});

test("trials stopped by Cancel read CANCELLED and are not offered for rerun", async ({ page }) => {
  await signInDemo(page);
  await page.goto(`${o}/studies/${cancelled}`);
  await expect(page.getByTestId("study-state")).toHaveText("CANCELLED");
  await expect(page.getByTestId("eta")).toContainText("1 failed, 2 cancelled");
  await expect(page.getByRole("button", { name: /Rerun failed/ })).toHaveCount(0);
  const states = page.getByTestId("trial-row").locator("[data-state]");
  await expect(states).toHaveText(["CANCELLED", "CANCELLED", "FAIL"]);
  await expect(page.getByTestId("failure-reason")).toHaveText("loss is NaN");
});

test("a deep link survives sign-in; the trial dialog and table state are in the URL", async ({ page }) => {
  const link = `${o}/studies/${healthy}?trial=3`;
  await page.goto(link);
  await expect(page).toHaveURL(/\/signin\?callbackUrl=/);
  await page.locator("#email").fill(DEMO_USER.email);
  await page.locator("#password").fill(DEMO_USER.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(new RegExp(`/studies/${healthy}\\?trial=3$`));
  await expect(page.getByTestId("trial-detail")).toBeVisible();
  await expect(page.getByRole("heading", { name: /Trial #3/ })).toBeVisible();
  await page.getByTestId("trial-detail").getByRole("button", { name: "Close" }).click();
  await expect(page).toHaveURL(new RegExp(`/studies/${healthy}$`));

  // Sort, filter and page go into the URL and come back on reload.
  await page.getByTestId("trials-table").getByRole("button", { name: "L1", exact: true }).click();
  await expect(page).toHaveURL(/tsort=L1/);
  // Ascending L1: the first row is the study's best.
  const first = (await page.getByTestId("best-value").textContent())?.trim();
  await expect(page.getByTestId("trial-l1").first()).toHaveText(first ?? "");
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page).toHaveURL(/tpage=1/);
  await page.reload();
  await expect(page.getByText("Page 2 of 2")).toBeVisible();
  await page.getByRole("button", { name: "Previous" }).click();
  await expect(page.getByTestId("trial-l1").first()).toHaveText(first ?? "");
  await page.getByRole("button", { name: "1", exact: true }).click();
  await expect(page).toHaveURL(/trial=1/);
  await page.reload();
  await expect(page.getByRole("heading", { name: /Trial #1/ })).toBeVisible();

  // The studies list keeps its filter in the URL too.
  await page.goto(`${o}/studies?q=B2&state=CANCELLED`);
  await expect(page.getByLabel("Name contains")).toHaveValue("B2");
  await expect(page.getByTestId("study-row")).toHaveCount(1);
  // A controlled checkbox: it turns checked once the URL has changed, so click, then wait for it.
  await page.getByLabel("Only my studies").click();
  await expect(page.getByLabel("Only my studies")).toBeChecked();
  await expect(page).toHaveURL(/mine=1/);
  await expect(page.getByTestId("study-row")).toHaveCount(1);
});

test("an invitation leads a signed-out invitee to sign-in and sign-up, and back", async ({ page }) => {
  await page.goto("/invite/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG");
  const signInLink = page.getByRole("link", { name: "Sign in" });
  await expect(signInLink).toHaveAttribute("href", /\/signin\?callbackUrl=%2Finvite%2F/);
  await expect(page.getByRole("link", { name: "Create an account" })).toHaveAttribute(
    "href",
    // Sign-up takes the invitation and brings the new account back to it (accounts.spec.ts).
    /\/signup\?invite=/,
  );
});

test("Add trials: a bad count is a sentence, not raw JSON", async ({ page }) => {
  await signInDemo(page);
  await page.goto(`${o}/studies/${healthy}`);
  await page.getByLabel("Trials to add").fill("5000");
  await page.getByRole("button", { name: "Add trials" }).click();
  const alert = page.getByRole("alert").filter({ hasText: "Trials to add" });
  await expect(alert).toHaveText("Trials to add must be at most 1000");
  await page.getByLabel("Trials to add").fill("two");
  await page.getByRole("button", { name: "Add trials" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "whole number" })).toBeVisible();
  await expect(page.getByLabel("Trials to add")).toBeFocused();
});

test("CSV upload: the sub-dataset column and its count; a bad cell named by line and column", async ({
  page,
}) => {
  await signInDemo(page);
  await page.goto(`${o}/datasets`);
  await expect(page.getByTestId("subset-count")).toHaveText(
    /^1 sub-dataset: studies on it take at most 1 fold/,
  );
  const csv = ["x,y,y_err,exp", "0.1,1.0,0.1,A", "0.2,1.1,0.1,B", "0.3,1.2,0,B", "0.4,1.3,0.1,C"].join("\n");
  await page.getByLabel("CSV text (or load a file)").fill(csv);
  await page.getByLabel("Sub-dataset column (optional)").fill("exp");
  await expect(page.getByTestId("subset-count")).toHaveText(/^3 sub-datasets/);
  await page.getByLabel("Name", { exact: true }).fill("b2-three-experiments");
  await page.getByRole("button", { name: "Validate and store" }).click();
  await expect(page.locator("#ds-csv-error")).toContainText('line 4, column "y_err" ("0"): must be > 0');
  await page.getByLabel("CSV text (or load a file)").fill(csv.replace("0.3,1.2,0,B", "0.3,1.2,0.1,B"));
  await page.getByRole("button", { name: "Validate and store" }).click();
  await expect(page.getByTestId("dataset-ok")).toContainText("in 3 sub-datasets");
  // Deleting asks first.
  let asked = "";
  page.once("dialog", (d) => {
    asked = d.message();
    void d.dismiss();
  });
  await page.getByRole("button", { name: "Delete b2-three-experiments" }).click();
  await expect.poll(() => asked).toContain("Delete the dataset");
  await expect(page.getByTestId("datasets-table")).toContainText("b2-three-experiments");
});

test("Greek letters keep their case in headings", async ({ page }) => {
  await signInDemo(page);
  await page.goto(`${o}/studies/${healthy}`);
  const heading = page.getByRole("heading", { name: /best-χ²\/worst-φ²/ });
  await expect(heading).toBeVisible();
  expect(await heading.evaluate((el) => getComputedStyle(el).textTransform)).toBe("none");
});

test("charts: a point opens its trial; log and integer parameters on their own axes", async ({ page }) => {
  await signInDemo(page);
  await page.goto(`${o}/studies/${healthy}`);
  const point = page.getByTestId("selection-scatter").locator("circle[data-trial]").first();
  const n = await point.getAttribute("data-trial");
  await point.click();
  await expect(page).toHaveURL(new RegExp(`trial=${n}$`));
  await expect(page.getByRole("heading", { name: new RegExp(`Trial #${n}\\b`) })).toBeVisible();
  await page.getByTestId("trial-detail").getByRole("button", { name: "Close" }).click();
  // learning_rate is log-uniform: its parallel axis says so; n_layers is int: whole-number ticks.
  const parallel = page.getByTestId("parallel-chart");
  await expect(parallel.getByText("learning_rate (log)")).toBeVisible();
  const ticks = await parallel.locator("g", { hasText: "n_layers" }).locator("text").allTextContents();
  expect(ticks.filter((t) => t !== "n_layers").every((t) => /^\d+$/.test(t))).toBe(true);
});

test("a saved comparison has a URL of its own and is listed on the Compare page", async ({ page }) => {
  const { org } = await seedDemo(db);
  await db.comparison.deleteMany({ where: { orgId: org.id, name: "B2 pair" } });
  await signInDemo(page);
  await page.goto(`${o}/compare?ids=${healthy},${allFailed}`);
  await page.getByLabel("Save as…").fill("B2 pair");
  await page.getByRole("button", { name: "Save comparison" }).click();
  await expect(page).toHaveURL(new RegExp(`${o}/compare/[a-z0-9]+$`));
  await expect(page.getByRole("heading", { name: "Compare: B2 pair" })).toBeVisible();
  const url = page.url();
  await page.goto(`${o}/studies`);
  await page.goto(`${o}/compare`);
  await page.getByRole("link", { name: "B2 pair" }).click();
  await expect(page).toHaveURL(url);
});

test("Runners: the queue with each trial's reason; older OFFLINE records collapsed", async ({ page }) => {
  const { org } = await seedDemo(db);
  const now = Date.now();
  for (let i = 0; i < 3; i++)
    await db.runner.create({
      data: {
        orgId: org.id,
        name: "b2-restarted",
        backend: "wasm",
        device: {},
        state: "OFFLINE",
        heartbeatAt: new Date(now - (i + 1) * 3_600_000),
      },
    });
  const waiting = await db.study.create({
    data: {
      orgId: org.id,
      ownerId: (await db.user.findFirstOrThrow({ where: { email: DEMO_USER.email } })).id,
      name: "B2: paused with a waiting trial",
      state: "PAUSED",
      task: { kind: "closure", level: 2 },
      searchSpace: { lr: { type: "float", low: 0.001, high: 0.1, log: true } },
      ensemble: { replicas: 4, folds: 2 },
      training: { maxEpochs: 100, reportEvery: 10 },
      seed: 5,
      maxTrials: 1,
    },
  });
  await db.trial.create({ data: { orgId: org.id, studyId: waiting.id, number: 0, params: { lr: 0.01 } } });
  await signInDemo(page);
  await page.goto(`${o}/runners`);
  const rows = page.getByTestId("runner-row").filter({ hasText: "b2-restarted" });
  await expect(rows).toHaveCount(1);
  await expect(rows).toContainText("+2 older offline");
  await page.getByTestId("toggle-offline").click();
  await expect(rows).toHaveCount(3);
  const queued = page.getByTestId("queue-row").filter({ hasText: "B2: paused with a waiting trial" });
  await expect(queued).toContainText("its study is paused");
  await page.screenshot({ path: path.join(screenshotDir, "runners.png"), fullPage: true });
});
