// A new collaboration joins, runs and leaves without anyone touching the database: a person signs up
// and creates an organisation, invites a colleague who signs up through the link, both run a tiny
// closure study, the owner changes the colleague's role, the colleague signs out and a copy of their
// cookie no longer works, and the owner deletes the organisation (its audit log stays).
import { createDb } from "@hyperensemble/db";
import { type BrowserContext, expect, type Page, test } from "@playwright/test";

const db = createDb(process.env.DATABASE_URL);
const run = Date.now().toString(36);
const OWNER = { name: "Olga Owner", email: `olga-${run}@quark.test`, password: "olga-password-123" };
const COLLEAGUE = { name: "Carl Colleague", email: `carl-${run}@quark.test`, password: "carl-password-123" };
const ORG = { name: "Quark Lab", slug: `quark-lab-${run}` };

test.afterAll(async () => {
  await db.$disconnect();
});

async function signUp(page: Page, who: typeof OWNER) {
  await page.locator("#name").fill(who.name);
  await page.locator("#email").fill(who.email);
  await page.locator("#password").fill(who.password);
  await page.getByRole("button", { name: "Create account" }).click();
}

async function runTinyStudy(page: Page, name: string) {
  await page.goto(`/o/${ORG.slug}/studies/new`);
  await page.locator("#name").fill(name);
  await page.locator("#replicas").fill("2");
  await page.locator("#trials").fill("1");
  await page.locator("#maxEpochs").fill("30");
  await page.getByRole("button", { name: "Create study" }).click();
  await expect(page).toHaveURL(new RegExp(`/o/${ORG.slug}/studies/[a-z0-9]+$`));
  await expect(page.getByTestId("study-state")).toContainText("COMPLETED", { timeout: 240_000 });
}

/** A tRPC query with the session cookies of `context` (a copy of them, in a fresh request context). */
async function mineWith(context: BrowserContext, cookies: Awaited<ReturnType<BrowserContext["cookies"]>>) {
  await context.addCookies(cookies);
  return context.request.get(
    `/api/trpc/org.mine?input=${encodeURIComponent(JSON.stringify({ json: null }))}`,
  );
}

test("a new collaboration signs up, invites, runs studies, revokes and deletes", async ({ browser }) => {
  // 1. A new person signs up (HENS_SIGNUP=open in playwright.config.ts) and creates an organisation.
  const ownerContext = await browser.newContext();
  const owner = await ownerContext.newPage();
  await owner.goto("/signin");
  await owner.getByRole("link", { name: "Create an account" }).click();
  await expect(owner).toHaveURL(/\/signup/);
  await signUp(owner, OWNER);
  await expect(owner).toHaveURL(/\/onboarding/);
  await owner.locator("#org-name").fill(ORG.name);
  await owner.locator("#org-slug").fill("admin");
  await owner.getByRole("button", { name: "Create organisation" }).click();
  await expect(owner.getByRole("alert").filter({ hasText: "slug is a reserved word" })).toBeVisible();
  await owner.locator("#org-name").fill(ORG.name);
  await owner.locator("#org-slug").fill(ORG.slug);
  await owner.getByRole("button", { name: "Create organisation" }).click();
  await expect(owner).toHaveURL(new RegExp(`/o/${ORG.slug}/studies`));

  // 2. The owner invites a colleague.
  await owner.goto(`/o/${ORG.slug}/settings`);
  await owner.locator("#invite-email").fill(COLLEAGUE.email);
  await owner.locator("#invite-role").selectOption("MEMBER");
  await owner.getByRole("button", { name: "Create invitation link" }).click();
  const link = (await owner.getByTestId("invitation-link").textContent())?.trim() ?? "";
  expect(link).toMatch(/\/invite\/[A-Za-z0-9_-]{43}$/);

  // 3. The colleague signs up through the link and joins.
  const colleagueContext = await browser.newContext();
  const colleague = await colleagueContext.newPage();
  await colleague.goto(link);
  await colleague.getByRole("link", { name: "Create an account" }).click();
  await expect(colleague).toHaveURL(/\/signup\?invite=/);
  await signUp(colleague, COLLEAGUE);
  await expect(colleague).toHaveURL(/\/invite\//);
  await colleague.getByRole("button", { name: `Accept and join ${ORG.name}` }).click();
  await expect(colleague).toHaveURL(new RegExp(`/o/${ORG.slug}/studies`));

  // 4. Both run a tiny closure study.
  await runTinyStudy(owner, "owner's closure study");
  await runTinyStudy(colleague, "colleague's closure study");

  // 5. The owner makes the colleague a VIEWER: the colleague can no longer create studies.
  await owner.goto(`/o/${ORG.slug}/settings`);
  await owner.getByLabel(`Role of ${COLLEAGUE.email}`).selectOption("VIEWER");
  await expect(owner.getByLabel(`Role of ${COLLEAGUE.email}`)).toHaveValue("VIEWER");
  const refused = await colleague.request.post("/api/trpc/study.create", {
    data: { json: { org: ORG.slug, name: "as viewer", replicas: 2, trials: 1 } },
    headers: { "content-type": "application/json" },
  });
  expect(refused.status()).toBe(403);

  // 6. The colleague signs out; a copy of the cookie taken before no longer works.
  const copied = await colleagueContext.cookies();
  expect(copied.some((c) => c.name.includes("authjs.session-token"))).toBe(true);
  expect((await mineWith(await browser.newContext(), copied)).status()).toBe(200);
  await colleague.getByRole("button", { name: "Sign out" }).click();
  await expect(colleague).toHaveURL(/\/signin/);
  const thief = await browser.newContext();
  expect((await mineWith(thief, copied)).status()).toBe(401);
  const thiefPage = await thief.newPage();
  await thiefPage.goto(`/o/${ORG.slug}/studies`);
  await expect(thiefPage).toHaveURL(/\/signin/);

  // The admin pages are for platform admins only: 403 for the owner.
  expect((await owner.goto("/admin"))?.status()).toBe(403);

  // 7. The owner deletes the organisation; its audit log stays.
  await owner.goto(`/o/${ORG.slug}/settings/org`);
  await owner.locator("#confirm-slug").fill(ORG.slug);
  await owner.getByRole("button", { name: "Delete organisation" }).click();
  await expect(owner).toHaveURL(/\/onboarding/);
  const org = await db.organization.findFirstOrThrow({ where: { name: ORG.name, deletedAt: { not: null } } });
  expect(await db.study.count({ where: { orgId: org.id } })).toBe(0);
  expect(await db.membership.count({ where: { orgId: org.id } })).toBe(0);
  const actions = (await db.auditEvent.findMany({ where: { orgId: org.id } })).map((e) => e.action);
  expect(actions).toEqual(
    expect.arrayContaining([
      "org.create",
      "invitation.create",
      "invitation.accept",
      "member.role",
      "org.delete",
    ]),
  );
  const gone = await owner.request.get(
    `/api/trpc/study.list?input=${encodeURIComponent(JSON.stringify({ json: { org: ORG.slug } }))}`,
  );
  expect(gone.status()).toBe(404);

  // 8. "Sign out everywhere" on the account page: this browser and any copy of its cookie are out.
  const ownerCookies = await ownerContext.cookies();
  await owner.goto("/account");
  await owner.getByRole("button", { name: "Sign out everywhere" }).click();
  await expect(owner).toHaveURL(/\/signin/);
  const copyOfOwner = await browser.newContext();
  expect((await mineWith(copyOfOwner, ownerCookies)).status()).toBe(401);
  for (const context of [ownerContext, colleagueContext, thief, copyOfOwner]) await context.close();
});
