// API tokens from the settings page: shown once, usable against the REST API, revocable; audit log.
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

test("manage a token: create (shown once), use it, revoke it", async ({ page, playwright, baseURL }) => {
  await signIn(page, DEMO_USER.email, DEMO_USER.password, DEMO_ORG.slug);
  await page.getByRole("link", { name: "Settings" }).click();
  await page.getByRole("link", { name: "API tokens" }).click();

  // A missing name is refused with the field's message.
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.locator("#token-name-error")).toHaveText("name is required");

  await page.getByLabel("Name", { exact: true }).fill("e2e nightly");
  await page.getByRole("button", { name: "Create token" }).click();
  const token = (await page.getByTestId("token-value").textContent()) ?? "";
  expect(token).toMatch(/^hens_/);
  const row = page.getByTestId("token-row").filter({ hasText: "e2e nightly" });
  await expect(row).toContainText("studies:read");
  await expect(row.getByTestId("token-status")).toHaveText("active");

  const api = await playwright.request.newContext({ baseURL });
  const studies = `/api/v1/orgs/${DEMO_ORG.slug}/studies`;
  const ok = await api.get(studies, { headers: { authorization: `Bearer ${token}` } });
  expect(ok.status()).toBe(200);

  // Shown once: after a reload only the prefix remains.
  await page.reload();
  await expect(page.getByTestId("token-value")).toHaveCount(0);
  await expect(page.getByText(token)).toHaveCount(0);

  // Revoking asks first (e2e/confirm.spec.ts checks that dismissing keeps the token).
  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: "Revoke e2e nightly" }).click();
  await expect(row.getByTestId("token-status")).toHaveText("revoked");
  const refused = await api.get(studies, { headers: { authorization: `Bearer ${token}` } });
  expect(refused.status()).toBe(401);
  await api.dispose();

  await page.getByRole("link", { name: "Audit log" }).click();
  await expect(page.getByTestId("audit-table")).toContainText("token.revoke");
  await expect(page.getByTestId("audit-table")).toContainText("token.create");
});
