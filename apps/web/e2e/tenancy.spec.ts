// Two people in two organisations, in two browser contexts at once: neither ever sees the other's data.
import { createDb } from "@hyperensemble/db";
import { expect, test } from "@playwright/test";
import { signIn } from "./helpers";
import { seedMember, seedStudy } from "./seed";

const db = createDb(process.env.DATABASE_URL);
const A = {
  orgSlug: "alpha-lab",
  orgName: "Alpha lab",
  email: "ada@alpha.test",
  password: "alpha-password-1",
};
const B = { orgSlug: "beta-lab", orgName: "Beta lab", email: "bo@beta.test", password: "beta-password-1" };
let studyA = "";
let studyB = "";

test.beforeAll(async () => {
  const a = await seedMember(db, A);
  const b = await seedMember(db, B);
  studyA = (
    await seedStudy(db, { orgId: a.org.id, ownerId: a.user.id, name: "Alpha secret study", trials: 12 })
  ).id;
  studyB = (
    await seedStudy(db, { orgId: b.org.id, ownerId: b.user.id, name: "Beta secret study", trials: 12 })
  ).id;
});
test.afterAll(async () => {
  await db.$disconnect();
});

test("two contexts in two orgs never see each other's data", async ({ browser }) => {
  const ctxA = await browser.newContext();
  const ctxB = await browser.newContext();
  const pageA = await ctxA.newPage();
  const pageB = await ctxB.newPage();
  await Promise.all([
    signIn(pageA, A.email, A.password, A.orgSlug),
    signIn(pageB, B.email, B.password, B.orgSlug),
  ]);
  await expect(pageA.getByRole("link", { name: "Alpha secret study" })).toBeVisible();
  await expect(pageB.getByRole("link", { name: "Beta secret study" })).toBeVisible();
  await expect(pageA.getByText("Beta secret study")).toHaveCount(0);
  await expect(pageB.getByText("Alpha secret study")).toHaveCount(0);
  // The switcher offers only one's own organisations.
  await expect(pageA.getByTestId("org-switcher").locator("option")).toHaveText(["Alpha lab (owner)"]);

  // Another org's study by URL, under either org's path: not found, and nothing of it shown.
  for (const url of [`/o/${A.orgSlug}/studies/${studyB}`, `/o/${B.orgSlug}/studies/${studyB}`]) {
    await pageA.goto(url);
    await expect(pageA.getByTestId("error-state")).toContainText(
      "does not exist, or it belongs to an organisation",
    );
    await expect(pageA.getByText("Beta secret study")).toHaveCount(0);
  }
  await pageB.goto(`/o/${B.orgSlug}/compare?ids=${studyB},${studyA}`);
  await expect(pageB.getByTestId("error-state")).toContainText("study not found");
  await expect(pageB.getByText("Alpha secret study")).toHaveCount(0);
  await pageB.goto(`/o/${A.orgSlug}/runners`);
  // The runners list and the queue each show an error (the list's names the organization).
  await expect(pageB.getByTestId("error-state")).toHaveCount(2);
  await expect(pageB.getByTestId("error-state").first()).toContainText("organization not found");

  // The same through the API with each context's session cookie.
  const get = (page: typeof pageA, proc: string, input: object) =>
    page.request.get(`/api/trpc/${proc}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`);
  expect((await get(pageA, "study.overview", { org: B.orgSlug, studyId: studyB })).status()).toBe(404);
  expect((await get(pageA, "study.trials", { org: A.orgSlug, studyId: studyB })).status()).toBe(404);
  expect((await get(pageB, "study.list", { org: A.orgSlug })).status()).toBe(404);
  const own = await get(pageB, "study.list", { org: B.orgSlug });
  expect(JSON.stringify(await own.json())).not.toContain("Alpha");
  await ctxA.close();
  await ctxB.close();
});
