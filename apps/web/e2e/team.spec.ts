// Team features (issue 20) in the browser: tag a study and filter the list by the tag (in the URL), a
// note on a trial, archive and unarchive, and a saved comparison opened by its URL by another member
// of the org in a second browser context (and read with a deleted study shown as missing).
import { createDb } from "@hyperensemble/db";
import { expect, type Page, test } from "@playwright/test";
import { seriousViolations, signIn } from "./helpers";
import { seedMember, seedStudy } from "./seed";

const db = createDb(process.env.DATABASE_URL);
const ORG = "team-e2e";
const o = `/o/${ORG}`;
const ALICE = { email: "alice@team-e2e.test", password: "team-e2e-password-1" };
const BOB = { email: "bob@team-e2e.test", password: "team-e2e-password-2" };
const ids = { tagged: "", other: "", orgId: "", aliceId: "" };

test.beforeAll(async () => {
  const { org, user } = await seedMember(db, { orgSlug: ORG, orgName: "Team e2e", ...ALICE, role: "OWNER" });
  await seedMember(db, { orgSlug: ORG, ...BOB, role: "MEMBER" });
  Object.assign(ids, { orgId: org.id, aliceId: user.id });
  // A failed test restarts the worker and this hook: start from none of this file's rows.
  await db.study.deleteMany({ where: { orgId: org.id, name: { startsWith: "T: " } } });
  await db.comparison.deleteMany({ where: { orgId: org.id } });
  ids.tagged = (
    await seedStudy(db, { orgId: org.id, ownerId: user.id, name: "T: tagged", trials: 6, seed: 3 })
  ).id;
  ids.other = (
    await seedStudy(db, { orgId: org.id, ownerId: user.id, name: "T: other", trials: 6, seed: 4 })
  ).id;
});

const studyRows = (page: Page) => page.getByTestId("study-row");

test("tag a study, filter the list by the tag, note a trial, archive and unarchive", async ({ page }) => {
  await signIn(page, ALICE.email, ALICE.password, ORG);
  await page.goto(`${o}/studies/${ids.tagged}`);
  const team = page.getByTestId("study-team");
  await team.getByLabel("Add a tag to this study").fill("Baseline");
  await team.getByRole("button", { name: "Add tag" }).click();
  await expect(team.getByTestId("tag").filter({ hasText: "baseline" })).toBeVisible();
  // A tag the server would refuse is refused in the form, naming why.
  await team.getByLabel("Add a tag to this study").fill("two words");
  await team.getByRole("button", { name: "Add tag" }).click();
  await expect(team.getByRole("alert")).toContainText("no spaces");

  // The list filtered by the tag: from the select, and the URL carries it.
  await page.goto(`${o}/studies`);
  await expect(studyRows(page)).toHaveCount(2);
  await page.getByLabel("Tag", { exact: true }).selectOption("baseline");
  await expect(page).toHaveURL(/tag=baseline/);
  await expect(studyRows(page)).toHaveCount(1);
  await expect(studyRows(page).first()).toContainText("T: tagged");
  await page.reload();
  await expect(studyRows(page)).toHaveCount(1);

  // A note on one trial, kept after a reload.
  await page.goto(`${o}/studies/${ids.tagged}?trial=1`);
  const dialog = page.getByTestId("trial-detail");
  await dialog.getByLabel("Note on this trial").fill("Diverged after epoch 40: check the learning rate.");
  await dialog.getByRole("button", { name: "Save note" }).click();
  await expect(dialog.getByText("· saved")).toBeVisible();
  await page.reload();
  await expect(page.getByTestId("trial-detail").getByLabel("Note on this trial")).toHaveValue(
    "Diverged after epoch 40: check the learning rate.",
  );
  await page.getByTestId("trial-detail").getByRole("button", { name: "Close" }).click();

  // Archive: out of the default list, in the "Only archived" one; unarchive brings it back.
  await page.getByTestId("study-team").getByRole("button", { name: "Archive", exact: true }).click();
  await expect(page.getByTestId("archived-badge")).toBeVisible();
  await page.goto(`${o}/studies`);
  await expect(studyRows(page)).toHaveCount(1);
  await expect(studyRows(page).first()).toContainText("T: other");
  await page.getByLabel("Archived", { exact: true }).selectOption("only");
  await expect(page).toHaveURL(/archived=only/);
  await expect(studyRows(page)).toHaveCount(1);
  await expect(studyRows(page).first()).toContainText("T: tagged");
  await studyRows(page).first().getByRole("link", { name: "T: tagged" }).click();
  await page.getByTestId("study-team").getByRole("button", { name: "Unarchive", exact: true }).click();
  await expect(page.getByTestId("archived-badge")).toHaveCount(0);
  await page.goto(`${o}/studies`);
  await expect(studyRows(page)).toHaveCount(2);
});

test("a saved comparison opens by its URL for another member, with a deleted study shown as missing", async ({
  page,
  browser,
}) => {
  await signIn(page, ALICE.email, ALICE.password, ORG);
  await page.goto(`${o}/compare?ids=${ids.tagged},${ids.other}`);
  await page.getByLabel("Save as…").fill("T pair");
  await page.getByRole("button", { name: "Save comparison" }).click();
  await expect(page).toHaveURL(new RegExp(`${o}/compare/[a-z0-9]+$`));
  const url = page.url();
  await expect(page.getByTestId("comparison-name")).toHaveText("Compare: T pair");

  // Bob, another member, in a context of his own.
  const context = await browser.newContext();
  const bob = await context.newPage();
  await signIn(bob, BOB.email, BOB.password, ORG);
  await bob.goto(url);
  await expect(bob.getByTestId("comparison-name")).toHaveText("Compare: T pair");
  const studies = bob.getByTestId("comparison-studies");
  await expect(studies.getByRole("link", { name: "T: tagged" })).toBeVisible();
  await expect(studies.getByRole("link", { name: "T: other" })).toBeVisible();
  await expect(bob.getByTestId("compare-row")).toHaveCount(2);
  await bob.goto(`${o}/compare`);
  await expect(bob.getByTestId("saved-comparison").filter({ hasText: "T pair" })).toBeVisible();

  // A study deleted since reads as missing, not as an error.
  await db.study.delete({ where: { id: ids.other } });
  await bob.goto(url);
  await expect(bob.getByTestId("comparison-missing")).toContainText("1 study");
  await expect(bob.getByTestId("error-state")).toHaveCount(0);
  await context.close();

  // Deleting asks first, then the URL is gone for everyone.
  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: "Delete" }).click();
  await expect(page).toHaveURL(new RegExp(`${o}/compare$`));
  await page.goto(url);
  await expect(page.getByTestId("error-state")).toBeVisible();
});

test("the team views are axe-clean in light and dark, and do not scroll sideways at 390 px", async ({
  page,
}) => {
  // Its own rows, filled in: two tagged studies (one archived, with a note), a tagged trial with a
  // note, and a saved comparison of the two.
  const seeded = async (name: string, seed: number) =>
    (await seedStudy(db, { orgId: ids.orgId, ownerId: ids.aliceId, name, trials: 6, seed })).id;
  const [a, b] = [await seeded("T: views a", 5), await seeded("T: views b", 6)];
  const tags = ["baseline", "nnpdf4.0", "closure:l2", "reviewed-by-the-fitting-group", "χ2-scan"];
  await db.study.update({ where: { id: a }, data: { tags, note: "A long note. ".repeat(40) } });
  await db.study.update({ where: { id: b }, data: { tags: tags.slice(0, 2), archivedAt: new Date() } });
  await db.trial.updateMany({ where: { studyId: a, number: 0 }, data: { tags, note: "Check the seed." } });
  const comparison = await db.comparison.create({
    data: { orgId: ids.orgId, name: "T: views pair", studyIds: [a, b], createdBy: ids.aliceId },
  });
  await signIn(page, ALICE.email, ALICE.password, ORG);
  const pages: [string, string, string][] = [
    ["studies (archived shown)", `${o}/studies?archived=all`, "study-row"],
    ["study", `${o}/studies/${a}`, "study-team"],
    ["trial dialog", `${o}/studies/${a}?trial=0`, "trial-team"],
    ["saved comparison", `${o}/compare/${comparison.id}`, "compare-table"],
    ["compare", `${o}/compare?ids=${a},${b}`, "saved-comparison"],
  ];
  const problems: string[] = [];
  const visit = async (url: string, ready: string) => {
    await page.goto(url);
    await expect(page.getByTestId(ready).first()).toBeVisible();
    await expect(page.getByText(/^Loading /)).toHaveCount(0);
  };
  for (const theme of ["light", "dark"] as const) {
    await page.evaluate((t) => localStorage.setItem("hens-theme", t), theme);
    for (const [name, url, ready] of pages) {
      await visit(url, ready);
      if (theme === "dark") await expect(page.locator("html")).toHaveClass(/dark/);
      for (const v of await seriousViolations(page)) problems.push(`${theme} ${name}: ${v}`);
    }
  }
  await page.setViewportSize({ width: 390, height: 844 });
  for (const [name, url, ready] of pages) {
    await visit(url, ready);
    const sideways = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    if (sideways > 1) problems.push(`390 px ${name}: the page scrolls ${sideways} px sideways`);
  }
  expect(problems).toEqual([]);
});
