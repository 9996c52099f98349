// Creating studies from the YAML/JSON spec editor, its inline validation, the search-space builder,
// and the lifecycle buttons (pause, resume, cancel) on the created study.
import { createDb } from "@hyperensemble/db";
import { DEMO_ORG, DEMO_USER, seedDemo } from "@hyperensemble/platform";
import { expect, test } from "@playwright/test";
import { signIn } from "./helpers";

const db = createDb(process.env.DATABASE_URL);
test.beforeAll(async () => {
  await seedDemo(db);
});
test.afterAll(async () => {
  await db.$disconnect();
});

const SPEC = `name: YAML lifecycle study
task: { kind: closure, level: 1 }
replicas: 4
trials: 6
folds: 2
maxEpochs: 60
parallelism: 1
sampler: sobol
searchSpace:
  n_layers: { type: int, low: 1, high: 2 }
  units_1: { type: int, low: 10, high: 20 }
  learning_rate: { type: float, low: 0.001, high: 0.01, log: true }
`;

test("invalid spec shows the field's message inline, with its line", async ({ page }) => {
  await signIn(page, DEMO_USER.email, DEMO_USER.password, DEMO_ORG.slug);
  await page.goto(`/o/${DEMO_ORG.slug}/studies/new`);
  await page.getByRole("tab", { name: "YAML / JSON spec" }).click();
  const editor = page.getByLabel("Study spec (YAML or JSON)");
  const errors = page.getByTestId("spec-errors");
  const submit = page.getByRole("button", { name: "Create study from spec" });

  await editor.fill(SPEC.replace("replicas: 4", "replicas: 0"));
  const replicas = errors.locator('[data-path="replicas"]');
  await expect(replicas).toContainText("replicas must be at least 1");
  await expect(replicas).toContainText("line 3");
  await expect(submit).toBeDisabled();

  await editor.fill(SPEC.replace("low: 0.001, high: 0.01", "low: 0.1, high: 0.01"));
  await expect(errors.locator('[data-path="searchSpace.learning_rate.low"]')).toContainText(
    "must be <= high",
  );
  await expect(errors).toContainText("line 12");

  await editor.fill(SPEC.replace("sampler: sobol", "sampler: annealing"));
  await expect(errors).toContainText(
    "sampler must be one of auto, random, grid, sobol, tpe, gp, cmaes, nsga2, dbo",
  );

  await editor.fill("name: [unclosed");
  await expect(errors).toContainText("not valid YAML or JSON");

  // JSON is YAML too: a valid JSON spec is accepted.
  await editor.fill(JSON.stringify({ name: "json", replicas: 4, trials: 1 }));
  await expect(page.getByTestId("spec-ok")).toContainText("json, 1 trials × 4 replicas");

  // The search-space builder on the form checks with the engine's parser and previews samples.
  await page.getByRole("tab", { name: "Form" }).click();
  await expect(page.getByTestId("space-preview").locator("tbody tr")).toHaveCount(5);
  await page.getByLabel("Low of learning_rate").fill("0.5");
  await expect(page.getByTestId("space-errors")).toContainText("learning_rate › Low: must be <= high");
  await page.getByLabel("Low of learning_rate").fill("abc");
  await expect(page.getByTestId("space-errors")).toContainText("learning_rate › Low");
});

test("create from YAML, then pause, resume and cancel it", async ({ page }) => {
  await signIn(page, DEMO_USER.email, DEMO_USER.password, DEMO_ORG.slug);
  await page.goto(`/o/${DEMO_ORG.slug}/studies/new`);
  await page.getByRole("tab", { name: "YAML / JSON spec" }).click();
  await page.getByLabel("Study spec (YAML or JSON)").fill(SPEC);
  await expect(page.getByTestId("spec-ok")).toBeVisible();
  await page.getByRole("button", { name: "Create study from spec" }).click();
  await expect(page).toHaveURL(new RegExp(`/o/${DEMO_ORG.slug}/studies/[a-z0-9]+$`));
  await expect(page.getByTestId("study-name")).toHaveText("YAML lifecycle study");
  await expect(page.getByTestId("progress")).toContainText("/ 6");

  const state = page.getByTestId("study-state");
  await page.getByRole("button", { name: "Pause" }).click();
  await expect(state).toContainText("PAUSED");
  await expect(page.getByRole("button", { name: "Resume" })).toBeEnabled();
  await page.getByRole("button", { name: "Resume" }).click();
  await expect(state).toContainText(/QUEUED|RUNNING/);

  await page.getByLabel("Trials to add").fill("2");
  await page.getByRole("button", { name: "Add trials" }).click();
  await expect(page.getByTestId("progress")).toContainText("/ 8");

  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: "Cancel" }).click();
  await expect(state).toContainText("CANCELLED");
  await expect(page.getByRole("button", { name: "Resume" })).toBeDisabled();
  // This study's events only: other specs pause and cancel studies of the same org.
  const studyId = new URL(page.url()).pathname.split("/").at(-1) ?? "";
  const audit = await db.auditEvent.findMany({
    where: { action: { in: ["study.pause", "study.resume", "study.cancel"] }, target: studyId },
  });
  expect(audit.map((a) => a.action).sort()).toEqual(["study.cancel", "study.pause", "study.resume"]);
});
