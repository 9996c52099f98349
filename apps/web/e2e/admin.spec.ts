// bull-board at /admin/bull on the built app: a platform admin (HENS_PLATFORM_ADMINS in
// playwright.config.ts) sees the dashboard render our trial queue; a member of an organisation who
// is not a platform admin, and an anonymous visitor, do not; writes are refused.
import { createDb } from "@hyperensemble/db";
import { expect, test } from "@playwright/test";
import { seriousViolations, signIn } from "./helpers";
import { seedMember } from "./seed";

const db = createDb(process.env.DATABASE_URL);
const OPS = { orgSlug: "ops-lab", email: "ops@platform.test", password: "ops-password-1" };
const MEMBER = { orgSlug: "member-lab", email: "member@platform.test", password: "member-password-1" };

test.beforeAll(async () => {
  await seedMember(db, OPS);
  await seedMember(db, MEMBER);
});
test.afterAll(async () => {
  await db.$disconnect();
});

test("bull-board: platform admins only, read-only", async ({ browser }) => {
  const admin = await browser.newContext();
  const page = await admin.newPage();
  await signIn(page, OPS.email, OPS.password, OPS.orgSlug);
  await page.goto("/admin/bull");
  await expect(page).toHaveTitle("HyperEnsemble queues");
  // The UI's scripts loaded from /admin/bull/static and its API answered: the queue is listed.
  await expect(page.getByText("trials", { exact: true }).first()).toBeVisible();
  const api = await page.request.get("/admin/bull/api/queues");
  expect(api.status()).toBe(200);
  const names = ((await api.json()) as { queues: { name: string; readOnlyMode: boolean }[] }).queues;
  expect(names.map((q) => [q.name, q.readOnlyMode])).toContainEqual(["trials", true]);
  const pause = await page.request.put("/admin/bull/api/queues/trials/pause");
  expect(pause.status()).toBe(405);
  // The JSON view links to it.
  const json = await page.request.get("/admin/queues");
  expect(((await json.json()) as { dashboard: string }).dashboard).toBe("/admin/bull");

  const other = await browser.newContext();
  const memberPage = await other.newPage();
  await signIn(memberPage, MEMBER.email, MEMBER.password, MEMBER.orgSlug);
  const refused = await memberPage.goto("/admin/bull");
  expect(refused?.status()).toBe(403);
  expect((await memberPage.request.get("/admin/bull/api/queues")).status()).toBe(403);
  // The JSON view answers the same as every admin route: 403 signed in, 401 signed out.
  expect((await memberPage.request.get("/admin/queues")).status()).toBe(403);

  const anonymous = await browser.newContext();
  const anonPage = await anonymous.newPage();
  await anonPage.goto("/admin/bull");
  await expect(anonPage).toHaveURL(/\/signin$/);
  expect((await anonPage.request.get("/admin/bull/api/queues")).status()).toBe(401);
  expect((await anonPage.request.get("/admin/queues")).status()).toBe(401);
  await Promise.all([admin.close(), other.close(), anonymous.close()]);
});

test("platform admin pages: 403 for members; a quota set in the page is enforced at study creation", async ({
  browser,
}) => {
  const other = await browser.newContext();
  const memberPage = await other.newPage();
  await signIn(memberPage, MEMBER.email, MEMBER.password, MEMBER.orgSlug);
  for (const path of ["/admin", "/admin/orgs", "/admin/users", `/admin/orgs/${MEMBER.orgSlug}`]) {
    expect((await memberPage.goto(path))?.status(), path).toBe(403);
  }
  const adminQuery = await memberPage.request.get(
    `/api/trpc/admin.orgs?input=${encodeURIComponent(JSON.stringify({ json: {} }))}`,
  );
  expect(adminQuery.status()).toBe(403);

  const admin = await browser.newContext();
  const page = await admin.newPage();
  await signIn(page, OPS.email, OPS.password, OPS.orgSlug);
  await page.goto("/admin/orgs");
  await page.locator("#org-search").fill(MEMBER.orgSlug);
  await page.getByRole("link", { name: new RegExp(MEMBER.orgSlug) }).click();
  await expect(page).toHaveURL(new RegExp(`/admin/orgs/${MEMBER.orgSlug}$`));
  // The storage quota is one of the limits, shown in bytes and GiB with its source.
  await expect(page.locator("#maxStorageBytes-hint")).toContainText(/In force: \d+ bytes = [\d.]+ GiB/);
  await page.locator("#maxTrialsPerStudy").fill("2");
  await page.getByRole("button", { name: "Save limits" }).click();
  await expect(page.getByRole("status")).toContainText("Saved");
  await expect(page.locator("#maxTrialsPerStudy-hint")).toContainText(
    "In force: 2 (this organisation's override)",
  );

  const create = (trials: number) =>
    memberPage.request.post("/api/trpc/study.create", {
      data: { json: { org: MEMBER.orgSlug, name: `quota ${trials}`, replicas: 2, trials } },
      headers: { "content-type": "application/json" },
    });
  const over = await create(3);
  expect(over.status()).toBe(400);
  expect((await over.json()).error.json.data.fieldErrors.trials).toMatch(/2/);
  // Back to the default: the same study is accepted.
  await page.locator("#maxTrialsPerStudy").fill("");
  await page.getByRole("button", { name: "Save limits" }).click();
  await expect(page.locator("#maxTrialsPerStudy-hint")).toContainText("HENS_STUDY_MAX_TRIALS");
  const accepted = await create(3);
  expect(accepted.status()).toBe(200);
  // Nothing to train here: cancel it so the runner stays free for the other specs.
  const studyId = (await accepted.json()).result.data.json.id as string;
  const cancelled = await memberPage.request.post("/api/trpc/study.cancel", {
    data: { json: { org: MEMBER.orgSlug, studyId } },
    headers: { "content-type": "application/json" },
  });
  expect(cancelled.status()).toBe(200);
  await Promise.all([admin.close(), other.close()]);
});

test("the users page finds, deactivates and reactivates a user; admin and account pages are axe-clean", async ({
  browser,
}) => {
  const target = { orgSlug: "deact-lab", email: "deact@platform.test", password: "deact-password-1" };
  await seedMember(db, target);
  await db.user.update({ where: { email: target.email }, data: { deactivatedAt: null } });
  const admin = await browser.newContext();
  const page = await admin.newPage();
  await signIn(page, OPS.email, OPS.password, OPS.orgSlug);
  await page.goto("/admin/users");
  await page.locator("#user-search").fill(target.email);
  const rows = page.getByTestId("admin-users").locator("tbody tr");
  await expect(rows).toHaveCount(1);
  page.on("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: `Deactivate ${target.email}` }).click();
  await expect(page.getByRole("button", { name: `Reactivate ${target.email}` })).toBeVisible();
  expect((await db.user.findUniqueOrThrow({ where: { email: target.email } })).deactivatedAt).not.toBeNull();
  // A deactivated user cannot sign in.
  const other = await browser.newContext();
  const theirs = await other.newPage();
  await theirs.goto("/signin");
  await theirs.locator("#email").fill(target.email);
  await theirs.locator("#password").fill(target.password);
  await theirs.getByRole("button", { name: "Sign in" }).click();
  await expect(theirs).toHaveURL(/\/signin/);
  await page.getByRole("button", { name: `Reactivate ${target.email}` }).click();
  await expect(page.getByRole("button", { name: `Deactivate ${target.email}` })).toBeVisible();
  await signIn(theirs, target.email, target.password, target.orgSlug);

  const problems: string[] = [];
  for (const theme of ["light", "dark"] as const) {
    await page.evaluate((t) => localStorage.setItem("hens-theme", t), theme);
    for (const url of [
      "/admin",
      "/admin/orgs",
      "/admin/users",
      `/admin/orgs/${target.orgSlug}`,
      "/account",
    ]) {
      await page.goto(url);
      await expect(page.locator("main").first()).toBeVisible();
      await expect(page.getByText(/^Loading /)).toHaveCount(0);
      if (theme === "dark") await expect(page.locator("html")).toHaveClass(/dark/);
      for (const v of await seriousViolations(page)) problems.push(`${theme} ${url}: ${v}`);
    }
  }
  expect(problems).toEqual([]);
  await Promise.all([admin.close(), other.close()]);
});
