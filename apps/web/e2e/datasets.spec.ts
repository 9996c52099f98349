// Dataset upload: a preview before sending, then the server's validation result (stored, or the
// field at fault), and keyboard use of the study page's trial dialog.
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

// Names unique per run: the suite can be repeated against one database (--repeat-each).
const run = Date.now().toString(36);

test("upload a CSV: preview, validation message, stored", async ({ page }) => {
  await signIn(page, DEMO_USER.email, DEMO_USER.password, DEMO_ORG.slug);
  await page.getByRole("link", { name: "Datasets" }).click();
  const preview = page.getByTestId("dataset-preview");
  await expect(preview).toContainText("Preview: 8 rows × 3 columns");

  // A non-numeric cell is flagged in the preview, and the server names the problem.
  const csv = page.getByLabel("CSV text (or load a file)");
  const good = await csv.inputValue();
  await csv.fill(good.replace("1.25", "oops"));
  await expect(preview).toContainText("(1 not numeric)");
  await page.getByLabel("Name", { exact: true }).fill("e2e-bad");
  await page.getByRole("button", { name: "Validate and store" }).click();
  await expect(
    page
      .getByRole("alert")
      .filter({ hasText: /oops|number|finite/i })
      .first(),
  ).toBeVisible();

  // A target column that is not in the header names the field.
  await csv.fill(good);
  await page.getByLabel("Target columns").fill("nope");
  await page.getByRole("button", { name: "Validate and store" }).click();
  await expect(page.locator("#ds-targets-error")).toContainText('"nope"');

  await page.getByLabel("Target columns").fill("y");
  await page.getByLabel("Name", { exact: true }).fill(`e2e-good-${run}`);
  await page.getByRole("button", { name: "Validate and store" }).click();
  await expect(page.getByTestId("dataset-ok")).toContainText("8 points");
  await expect(page.getByTestId("datasets-table")).toContainText(`e2e-good-${run}`);
});

test("a study on an uploaded dataset runs to completion", async ({ page }) => {
  await signIn(page, DEMO_USER.email, DEMO_USER.password, DEMO_ORG.slug);
  await page.getByRole("link", { name: "Datasets" }).click();
  // The preview renders once the page is hydrated: only then does the form submit through the API.
  await expect(page.getByTestId("dataset-preview")).toContainText("Preview: 8 rows × 3 columns");
  await page.getByLabel("Target columns").fill("y");
  const name = `e2e-for-study-${run}-${test.info().repeatEachIndex}`;
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByRole("button", { name: "Validate and store" }).click();
  await expect(page.getByTestId("dataset-ok")).toBeVisible();

  await page.goto(`/o/${DEMO_ORG.slug}/studies/new`);
  await page.locator("#name").fill(`E2E dataset study ${name}`);
  // The option names the dataset with its points and sub-datasets ("(8 points, 1 sub-datasets)").
  const option = page.locator("#level option", { hasText: `Dataset: ${name} (8 points` });
  await page.locator("#level").selectOption((await option.getAttribute("value")) ?? "");
  await page.locator("#replicas").fill("4");
  await page.locator("#trials").fill("2");
  await page.locator("#folds").fill("1");
  await page.locator("#maxEpochs").fill("60");
  await page.getByRole("button", { name: "Create study" }).click();
  await expect(page.getByTestId("study-state")).toContainText("COMPLETED", { timeout: 180_000 });
  const org = await db.organization.findUniqueOrThrow({ where: { slug: DEMO_ORG.slug } });
  const study = await db.study.findFirstOrThrow({
    where: { orgId: org.id, name: `E2E dataset study ${name}` },
  });
  expect(study.datasetId).not.toBeNull();
  const states = await db.trial.findMany({
    where: { orgId: org.id, studyId: study.id },
    select: { state: true },
  });
  expect(states.map((t) => t.state)).toEqual(["COMPLETE", "COMPLETE"]);
});
