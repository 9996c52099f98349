import path from "node:path";
import { createDb } from "@hyperensemble/db";
import { DEMO_ORG, DEMO_USER, seedDemo } from "@hyperensemble/platform";
import { expect, type Page, test } from "@playwright/test";

const root = path.resolve(import.meta.dirname, "../../..");
const db = createDb(process.env.DATABASE_URL);

test.beforeAll(async () => {
  await seedDemo(db);
  await db.organization.upsert({
    where: { slug: "other-collab" },
    create: { slug: "other-collab", name: "Other" },
    update: {},
  });
});
test.afterAll(async () => {
  await db.$disconnect();
});

async function signIn(page: Page) {
  await page.goto("/");
  await expect(page).toHaveURL(/\/signin/);
  await page.locator("#email").fill(DEMO_USER.email);
  await page.locator("#password").fill(DEMO_USER.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(new RegExp(`/o/${DEMO_ORG.slug}/studies`));
}

async function studyCount() {
  const org = await db.organization.findUniqueOrThrow({ where: { slug: DEMO_ORG.slug } });
  return db.study.count({ where: { orgId: org.id } });
}

test("wrong password is refused", async ({ page }) => {
  await page.goto("/signin");
  await page.locator("#email").fill(DEMO_USER.email);
  await page.locator("#password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Wrong email or password" })).toBeVisible();
});

test("bad input on the form and the API names the field and stores nothing", async ({ page }) => {
  await signIn(page);
  const before = await studyCount();
  await page.goto(`/o/${DEMO_ORG.slug}/studies/new`);
  const cases: [string, string, RegExp][] = [
    // The form speaks its labels (the API keeps the field names: below).
    ["replicas", "0", /^Replicas per trial must be at least 1$/],
    ["replicas", "100000", /^Replicas per trial must be at most 2000$/],
    ["replicas", "abc", /^Replicas per trial must be a number$/],
    ["trials", "", /^Trials must be a number$/],
  ];
  await page.locator("#name").fill("bad input");
  for (const [field, value, message] of cases) {
    await page.locator("#replicas").fill("16");
    await page.locator("#trials").fill("8");
    await page.locator(`#${field}`).fill(value);
    await page.getByRole("button", { name: "Create study" }).click();
    await expect(page.locator(`#${field}-error`)).toHaveText(message);
  }
  await page.locator("#trials").fill("8");
  await page.locator("#name").fill("");
  await page.locator("#replicas").fill("16");
  await page.getByRole("button", { name: "Create study" }).click();
  await expect(page.locator("#name-error")).toHaveText(/^Name is required$/);

  // The API applies the same schema on the server (a client that skips the form).
  const post = (input: unknown) =>
    page.request.post("/api/trpc/study.create", {
      data: { json: input },
      headers: { "content-type": "application/json" },
    });
  const bad = await post({ org: DEMO_ORG.slug, name: "api", replicas: "sixteen", trials: 2 });
  expect(bad.status()).toBe(400);
  expect((await bad.json()).error.json.data.fieldErrors.replicas).toBe("replicas must be a number");
  const missing = await post({ org: DEMO_ORG.slug, replicas: 16 });
  expect(missing.status()).toBe(400);
  const missingErrors = (await missing.json()).error.json.data.fieldErrors;
  expect(missingErrors.name).toBe("name is required");
  expect(missingErrors.trials).toBe("trials must be a number");
  // Another organization's studies are invisible: NOT_FOUND, as for an org that does not exist.
  const foreign = await post({ org: "other-collab", name: "x", replicas: 4, trials: 1 });
  expect(foreign.status()).toBe(404);
  expect(await studyCount()).toBe(before);
});

test("sign in, create a study in the form, watch it complete, see scores", async ({ page }) => {
  await signIn(page);
  await page.getByRole("link", { name: "New study" }).first().click();
  const studyName = `E2E closure study ${Date.now().toString(36)}`;
  await page.locator("#name").fill(studyName);
  await page.locator("#replicas").fill("8");
  await page.locator("#trials").fill("3");
  await page.locator("#maxEpochs").fill("150");
  await page.locator("#parallelism").fill("2");
  await page.getByRole("button", { name: "Create study" }).click();
  await expect(page).toHaveURL(new RegExp(`/o/${DEMO_ORG.slug}/studies/[a-z0-9]+$`));
  await expect(page.getByTestId("study-name")).toHaveText(studyName);
  // Live: the page changes state without a reload while runners report.
  await expect(page.getByTestId("study-state")).toContainText("COMPLETED", { timeout: 240_000 });
  await expect(page.getByTestId("progress")).toHaveText("3 / 3");
  const studyId = page.url().split("/").at(-1) ?? "";
  const org = await db.organization.findUniqueOrThrow({ where: { slug: DEMO_ORG.slug } });
  const trials = await db.trial.findMany({ where: { orgId: org.id, studyId }, orderBy: { number: "asc" } });
  expect(
    trials.map((t) => t.state),
    `trials: ${JSON.stringify(trials.map((t) => ({ n: t.number, state: t.state, attempt: t.attempt, error: t.error })))}`,
  ).toEqual(["COMPLETE", "COMPLETE", "COMPLETE"]);
  const l1 = page.getByTestId("trial-l1");
  await expect(l1).toHaveCount(3);
  for (const cell of await l1.all()) {
    const value = Number(await cell.textContent());
    expect(value).toBeGreaterThan(0);
    expect(Number.isFinite(value)).toBe(true);
  }
  await expect(page.getByTestId("best-value")).not.toHaveText("–");
  await page.screenshot({ path: path.join(root, "docs", "screenshots", "study-page.png"), fullPage: true });

  // The studies list shows it with its best value.
  await page.getByRole("link", { name: "Studies" }).first().click();
  await expect(page.getByRole("link", { name: studyName })).toBeVisible();
});
