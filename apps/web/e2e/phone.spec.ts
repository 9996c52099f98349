// Phones (issue 20): at 390×844 no page scrolls sideways, the header stays compact, and
// /favicon.ico is served. Wide tables scroll inside their own box, never the page.
import path from "node:path";
import { createDb } from "@hyperensemble/db";
import { DEMO_ORG, DEMO_USER, seedDemo } from "@hyperensemble/platform";
import { expect, test } from "@playwright/test";
import { overflow, screenshotDir, signIn, smallChartText } from "./helpers";
import { seedMember, seedStudy } from "./seed";

const db = createDb(process.env.DATABASE_URL);
const o = `/o/${DEMO_ORG.slug}`;
let studyA = "";
let studyB = "";

test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

const OPS = { orgSlug: "ops-lab", email: "ops@platform.test", password: "ops-password-1" };

test.beforeAll(async () => {
  await seedMember(db, OPS);
  const { org, user } = await seedDemo(db);
  // A failed test restarts the worker and this hook: start from no studies of this file.
  await db.study.deleteMany({ where: { orgId: org.id, name: { startsWith: "Phone: " } } });
  studyA = (
    await seedStudy(db, {
      orgId: org.id,
      ownerId: user.id,
      name: "Phone: TPE with a long name that wraps",
      trials: 40,
      seed: 21,
      withPredictions: true,
    })
  ).id;
  studyB = (
    await seedStudy(db, { orgId: org.id, ownerId: user.id, name: "Phone: random", trials: 20, seed: 22 })
  ).id;
});
test.afterAll(async () => {
  await db.$disconnect();
});

test("no page scrolls sideways at 390×844; the header stays compact", async ({ page }) => {
  await page.goto("/signin");
  const pages: [string, string, string][] = [
    ["signin", "/signin", "#email"],
    ["invite", "/invite/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "main"],
    ["signup", "/signup", "main"],
    ["forgot", "/forgot", "main"],
    ["reset", "/reset/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "main"],
    ["verify", "/verify/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "main"],
  ];
  const problems: string[] = [];
  for (const [name, url, ready] of pages) {
    await page.goto(url);
    await expect(page.locator(ready).first()).toBeVisible();
    const o = await overflow(page);
    if (o.scroll > 0) problems.push(`${name}: ${o.scroll}px (${o.worst})`);
  }
  await signIn(page, DEMO_USER.email, DEMO_USER.password, DEMO_ORG.slug);
  const signedIn: [string, string, string][] = [
    ["studies", `${o}/studies`, "[data-testid=study-row]"],
    ["new-study", `${o}/studies/new`, "[data-testid=space-preview]"],
    ["study", `${o}/studies/${studyA}`, "[data-testid=parallel-chart]"],
    ["trial", `${o}/studies/${studyA}?trial=0`, "[data-testid=trial-detail]"],
    ["compare", `${o}/compare?ids=${studyA},${studyB}`, "[data-testid=compare-table]"],
    ["runners", `${o}/runners`, "[data-testid=runners-table]"],
    ["datasets", `${o}/datasets`, "[data-testid=datasets-table]"],
    ["members", `${o}/settings`, "[data-testid=members-table]"],
    ["tokens", `${o}/settings/tokens`, "main"],
    ["audit", `${o}/settings/audit`, "main"],
    ["organisation", `${o}/settings/org`, "main"],
    ["webhooks", `${o}/settings/webhooks`, "main"],
    ["account", "/account", "main"],
    ["onboarding", "/onboarding", "main"],
  ];
  for (const [name, url, ready] of signedIn) {
    await page.goto(url);
    await expect(page.locator(ready).first()).toBeVisible();
    await expect(page.getByText(/^Loading /)).toHaveCount(0);
    const o = await overflow(page);
    if (o.scroll > 0) problems.push(`${name}: ${o.scroll}px (${o.worst})`);
    if (name === "studies" || name === "study")
      await page.screenshot({ path: path.join(screenshotDir, `phone-${name}.png`), fullPage: false });
  }
  expect(problems).toEqual([]);
  // The header takes at most a sixth of the screen.
  await page.goto(`${o}/studies`);
  const header = await page.locator("header").boundingBox();
  expect(header?.height ?? 999).toBeLessThanOrEqual(844 / 6);
});

test("the platform admin's pages do not scroll sideways at 390×844", async ({ page }) => {
  await signIn(page, OPS.email, OPS.password, OPS.orgSlug);
  const problems: string[] = [];
  for (const url of ["/admin", "/admin/orgs", "/admin/users", `/admin/orgs/${OPS.orgSlug}`]) {
    await page.goto(url);
    await expect(page.locator("main").first()).toBeVisible();
    await expect(page.getByText(/^Loading /)).toHaveCount(0);
    const o = await overflow(page);
    if (o.scroll > 0) problems.push(`${url}: ${o.scroll}px (${o.worst})`);
  }
  expect(problems).toEqual([]);
});

test("charts are laid out for a phone's width: their text shows at 9 px or more", async ({ page }) => {
  await signIn(page, DEMO_USER.email, DEMO_USER.password, DEMO_ORG.slug);
  const views: [string, string, string][] = [
    ["study", `${o}/studies/${studyA}`, "[data-testid=parallel-chart]"],
    ["trial", `${o}/studies/${studyA}?trial=0`, "[data-testid=trial-detail] svg[role=img]"],
    ["compare", `${o}/compare?ids=${studyA},${studyB}`, "[data-testid=compare-table]"],
  ];
  for (const [name, url, ready] of views) {
    await page.goto(url);
    await expect(page.locator(ready).first()).toBeVisible();
    await expect(page.getByText(/^Loading /)).toHaveCount(0);
    // Laid out again once the chart's box is measured: poll until no text is below the floor.
    await expect
      .poll(async () => (await smallChartText(page, 9)).small, { message: `${name}: chart text below 9 px` })
      .toEqual([]);
    expect((await smallChartText(page, 9)).checked, `${name}: some chart text was checked`).toBeGreaterThan(
      10,
    );
    const o = await overflow(page);
    expect(o.scroll, `${name} scrolls sideways (${o.worst})`).toBe(0);
  }
});

test("/favicon.ico is served", async ({ request }) => {
  const res = await request.get("/favicon.ico");
  expect(res.status()).toBe(200);
  expect(res.headers()["content-type"]).toMatch(/image\//);
});
