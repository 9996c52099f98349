// The read-side pages on seeded studies (no training): compare, export, trial detail, sorting, runners,
// accessibility (axe-core, light and dark) and the README's screenshots.
import { readFileSync } from "node:fs";
import path from "node:path";
import { createDb } from "@hyperensemble/db";
import { DEMO_ORG, DEMO_USER, seedDemo } from "@hyperensemble/platform";
import { expect, test } from "@playwright/test";
import { cspViolations, screenshotDir, seriousViolations, signIn } from "./helpers";
import { seedStudy } from "./seed";

const db = createDb(process.env.DATABASE_URL);
let studyA = "";
let studyB = "";
let studyC = "";

test.beforeAll(async () => {
  const { org, user } = await seedDemo(db);
  studyA = (
    await seedStudy(db, {
      orgId: org.id,
      ownerId: user.id,
      name: "Seeded: TPE, 60 trials",
      trials: 60,
      seed: 3,
      withPredictions: true,
    })
  ).id;
  studyC = (
    await seedStudy(db, {
      orgId: org.id,
      ownerId: user.id,
      name: "Seeded: with failures",
      trials: 24,
      seed: 4,
    })
  ).id;
  studyB = (
    await seedStudy(db, {
      orgId: org.id,
      ownerId: user.id,
      name: "Seeded: random, 40 trials",
      trials: 40,
      seed: 9,
      withPredictions: true,
    })
  ).id;
});
test.afterAll(async () => {
  await db.$disconnect();
});

test("compare two studies from the list", async ({ page }) => {
  await signIn(page, DEMO_USER.email, DEMO_USER.password, DEMO_ORG.slug);
  await page.getByLabel("Compare Seeded: TPE, 60 trials").check();
  await page.getByLabel("Compare Seeded: random, 40 trials").check();
  await page.getByRole("button", { name: /Compare selected \(2\)/ }).click();
  await expect(page).toHaveURL(/\/compare\?ids=/);
  await expect(page.getByTestId("compare-row")).toHaveCount(2);
  await expect(page.getByTestId("compare-history").locator("path").first()).toBeVisible();
  await expect(page.getByTestId("compare-table")).toContainText("Seeded: random, 40 trials");
  await page.screenshot({ path: path.join(screenshotDir, "compare.png"), fullPage: true });
});

test("study page: sort trials, open a trial, export CSV", async ({ page }) => {
  await signIn(page, DEMO_USER.email, DEMO_USER.password, DEMO_ORG.slug);
  await page.goto(`/o/${DEMO_ORG.slug}/studies/${studyA}`);
  await expect(page.getByTestId("study-state")).toContainText("COMPLETED");
  await expect(page.getByTestId("progress")).toHaveText("60 / 60");
  await expect(page.getByTestId("selection-scatter")).toBeVisible();
  await expect(page.getByTestId("parallel-chart")).toBeVisible();
  await expect(page.getByTestId("predictions-chart")).toBeVisible();

  // Sort by L1 ascending on the server: the first row is the argmin.
  const best = (await page.getByTestId("best-value").textContent())?.trim();
  await page.getByTestId("trials-table").getByRole("button", { name: "L1", exact: true }).click();
  await expect(page.getByTestId("trial-l1").first()).toHaveText(best ?? "");
  // Filter by state.
  await page.getByLabel("State").selectOption("FAIL");
  await expect(page.getByTestId("trial-row")).toHaveCount(2);
  await page.getByRole("button", { name: "Clear filters" }).click();
  await expect(page.getByTestId("trial-row")).toHaveCount(25);
  await page.screenshot({ path: path.join(screenshotDir, "study-page-seeded.png"), fullPage: true });

  // Keyboard: the trial's number is a button; Enter opens the dialog, Escape closes it.
  const opener = page.getByTestId("trial-row").first().getByRole("button").first();
  await opener.focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByTestId("trial-detail");
  await expect(dialog.getByTestId("replica-histogram")).toBeVisible();
  await page.screenshot({ path: path.join(screenshotDir, "trial-detail.png") });
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(opener).toBeFocused();

  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export CSV" }).click();
  const file = await (await download).path();
  const lines = readFileSync(file, "utf8").trim().split("\n");
  expect(lines[0]).toMatch(/^number,value,datetime_start,datetime_complete,duration,params_activation/);
  expect(lines).toHaveLength(61);

  // The first Tab on a page lands on the skip link.
  await page.goto(`/o/${DEMO_ORG.slug}/runners`);
  await page.keyboard.press("Tab");
  await expect(page.getByRole("link", { name: "Skip to content" })).toBeFocused();
});

test("rerun failed trials, clone as a new study, cancel both", async ({ page }) => {
  await signIn(page, DEMO_USER.email, DEMO_USER.password, DEMO_ORG.slug);
  await page.goto(`/o/${DEMO_ORG.slug}/studies/${studyC}`);
  const state = page.getByTestId("study-state");
  await expect(state).toContainText("COMPLETED");
  await expect(page.getByTestId("eta")).toContainText("1 failed");
  await page.getByRole("button", { name: "Rerun failed (1)" }).click();
  // The failed trial is queued again at once; the runner may train it before the page's next poll,
  // so the passing RUNNING state is not awaited: the end state is (no failure left, study complete).
  await expect(page.getByRole("button", { name: "Rerun failed (0)" })).toBeDisabled();
  await expect(page.getByTestId("eta")).toContainText("0 failed", { timeout: 60_000 });
  await expect(state).toContainText("COMPLETED", { timeout: 60_000 });
  await expect(page.getByTestId("progress")).toContainText("24 / 24");
  page.on("dialog", (d) => void d.accept());

  // Clone opens the form pre-filled; the copy exists only once it is submitted.
  await page.getByRole("button", { name: "Clone into a new study…" }).click();
  await expect(page).toHaveURL(new RegExp(`/studies/new\\?from=${studyC}`));
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue("Seeded: with failures (copy)");
  await page.getByRole("button", { name: "Create study" }).click();
  await expect(page.getByTestId("study-name")).toHaveText("Seeded: with failures (copy)");
  expect(page.url()).not.toContain(studyC);
  await expect(page.getByTestId("progress")).toContainText("/ 24");
  await page.getByRole("button", { name: "Cancel" }).click();
  await expect(page.getByTestId("study-state")).toContainText("CANCELLED");
});

test("main pages have no serious accessibility violations, light and dark", async ({ page }) => {
  // The same walk checks the Content-Security-Policy: nothing on these pages is refused by it.
  const refused = cspViolations(page);
  await signIn(page, DEMO_USER.email, DEMO_USER.password, DEMO_ORG.slug);
  const o = `/o/${DEMO_ORG.slug}`;
  const pages: [string, string, string][] = [
    ["studies", `${o}/studies`, "study-row"],
    ["new-study", `${o}/studies/new`, "space-preview"],
    ["study", `${o}/studies/${studyA}`, "parallel-chart"],
    ["compare", `${o}/compare?ids=${studyA},${studyB}`, "compare-table"],
    ["runners", `${o}/runners`, "runners-table"],
    ["datasets", `${o}/datasets`, "datasets-table"],
    ["members", `${o}/settings`, "members-table"],
    ["tokens", `${o}/settings/tokens`, "region:New API token"],
    ["audit", `${o}/settings/audit`, "region:Audit log"],
  ];
  const problems: string[] = [];
  for (const theme of ["light", "dark"] as const) {
    await page.evaluate((t) => localStorage.setItem("hens-theme", t), theme);
    for (const [name, url, ready] of pages) {
      const response = await page.goto(url);
      const headers = response?.headers() ?? {};
      expect(headers["content-security-policy"], url).toMatch(/script-src 'self' 'nonce-[^']+'/);
      expect(headers["x-frame-options"], url).toBe("DENY");
      expect(headers["x-content-type-options"], url).toBe("nosniff");
      if (ready.startsWith("region:"))
        await expect(page.getByRole("region", { name: ready.slice(7) })).toBeVisible();
      else await expect(page.getByTestId(ready).first()).toBeVisible();
      // Wait for the page's queries to settle so axe sees the final DOM.
      await expect(page.getByText(/^Loading /)).toHaveCount(0);
      if (theme === "dark") await expect(page.locator("html")).toHaveClass(/dark/);
      for (const v of await seriousViolations(page)) problems.push(`${theme} ${name}: ${v}`);
      if (
        theme === "light" &&
        ["studies", "new-study", "runners", "members", "tokens", "datasets"].includes(name)
      )
        await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
    }
  }
  await page.goto(`${o}/studies/new`);
  await page.getByRole("tab", { name: "YAML / JSON spec" }).click();
  for (const v of await seriousViolations(page)) problems.push(`dark spec-editor: ${v}`);
  const editor = page.getByLabel("Study spec (YAML or JSON)");
  await editor.fill(
    (await editor.inputValue()).replace("replicas: 8", "replicas: 0").replace("high: 0.03", "high: 0.0001"),
  );
  await expect(page.getByTestId("spec-errors")).toContainText("replicas must be at least 1");
  for (const v of await seriousViolations(page)) problems.push(`dark spec-editor with errors: ${v}`);
  await page.screenshot({ path: path.join(screenshotDir, "spec-editor-dark.png"), fullPage: true });
  expect(problems).toEqual([]);
  expect(refused).toEqual([]);
});
