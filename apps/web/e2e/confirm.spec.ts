// Issue 20's leftovers: revokes ask first and the last owner is not offered Remove; every chart
// downloads as SVG and 2x PNG; a dataset study's prediction panels carry the dataset's output names.
import { readFileSync } from "node:fs";
import { createDb } from "@hyperensemble/db";
import { DEMO_ORG, DEMO_USER, seedDemo } from "@hyperensemble/platform";
import { type Download, expect, type Page, test } from "@playwright/test";
import { signIn } from "./helpers";
import { seedStudy } from "./seed";

const db = createDb(process.env.DATABASE_URL);
const o = `/o/${DEMO_ORG.slug}`;
// Names unique per run: the file can be repeated against one database.
const run = Date.now().toString(36);
let charted = "";

test.beforeAll(async () => {
  const { org, user } = await seedDemo(db);
  charted = (
    await seedStudy(db, { orgId: org.id, ownerId: user.id, name: `C: charts ${run}`, trials: 12, seed: 3 })
  ).id;
});
test.afterAll(async () => {
  await db.$disconnect();
});

const signInDemo = (page: Page) => signIn(page, DEMO_USER.email, DEMO_USER.password, DEMO_ORG.slug);

/** Clicks `button`, answering the confirmation with `accept`; returns the question asked. */
async function answer(page: Page, button: ReturnType<Page["getByRole"]>, accept: boolean) {
  // The handler must be in place before the click: the click does not return while a dialog is open.
  let message = "";
  page.once("dialog", (dialog) => {
    message = dialog.message();
    void (accept ? dialog.accept() : dialog.dismiss());
  });
  await button.click();
  await expect.poll(() => message).not.toBe("");
  return message;
}

test("revoking a token or an invitation asks first; the last owner is not offered Remove", async ({
  page,
}) => {
  await signInDemo(page);

  // Token: dismissing the question keeps it active; accepting revokes it.
  await page.goto(`${o}/settings/tokens`);
  await page.getByLabel("Name", { exact: true }).fill(`confirm ${run}`);
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByTestId("token-value")).toBeVisible();
  const row = page.getByTestId("token-row").filter({ hasText: `confirm ${run}` });
  const revokeToken = page.getByRole("button", { name: `Revoke confirm ${run}` });
  expect(await answer(page, revokeToken, false)).toContain(`Revoke the token “confirm ${run}”?`);
  await expect(row.getByTestId("token-status")).toHaveText("active");
  const token = await db.apiToken.findFirstOrThrow({ where: { name: `confirm ${run}` } });
  expect(token.revokedAt).toBeNull();
  await answer(page, revokeToken, true);
  await expect(row.getByTestId("token-status")).toHaveText("revoked");

  // Invitation: the same.
  await page.goto(`${o}/settings`);
  const email = `invitee-${run}@confirm.test`;
  await page.locator("#invite-email").fill(email);
  await page.getByRole("button", { name: "Create invitation link" }).click();
  await expect(page.getByTestId("invitation-link")).toBeVisible();
  const revokeInvite = page.getByRole("button", { name: `Revoke invitation for ${email}` });
  expect(await answer(page, revokeInvite, false)).toContain(`Revoke the invitation for ${email}?`);
  await expect(revokeInvite).toBeVisible();
  await answer(page, revokeInvite, true);
  await expect(revokeInvite).toHaveCount(0);
  const org = await db.organization.findUniqueOrThrow({ where: { slug: DEMO_ORG.slug } });
  expect(
    await db.auditEvent.count({ where: { orgId: org.id, action: "invitation.revoke" } }),
  ).toBeGreaterThan(0);

  // The demo user is the organisation's only OWNER: no Remove on their row, and no demotion.
  const owners = await db.membership.count({ where: { orgId: org.id, role: "OWNER" } });
  expect(owners).toBe(1);
  const members = page.getByTestId("members-table");
  await expect(members).toContainText(DEMO_USER.email);
  await expect(page.getByRole("button", { name: `Remove ${DEMO_USER.email}` })).toHaveCount(0);
  await expect(members.getByTestId("last-owner")).toHaveText("last owner");
  await expect(page.getByLabel(`Role of ${DEMO_USER.email}`)).toBeDisabled();
});

async function saved(download: Download): Promise<Buffer> {
  const file = await download.path();
  return readFileSync(file);
}

test("a chart downloads as SVG (parses, styles inline) and as a 2x PNG", async ({ page }) => {
  await signInDemo(page);
  await page.goto(`${o}/studies/${charted}`);
  const chart = page.getByTestId("exportable-chart").filter({ has: page.getByTestId("selection-scatter") });
  await expect(chart).toHaveCount(1);
  const viewBox = (await page.getByTestId("selection-scatter").getAttribute("viewBox")) ?? "";
  const width = Number(viewBox.split(" ")[2]);
  const height = Number(viewBox.split(" ")[3]);
  expect(width).toBeGreaterThan(0);

  const svgDownload = page.waitForEvent("download", { timeout: 30_000 });
  await chart.getByRole("button", { name: /as SVG$/ }).click();
  const svgFile = await svgDownload;
  expect(svgFile.suggestedFilename()).toMatch(/\.svg$/);
  const svgText = (await saved(svgFile)).toString("utf8");
  // Parsed by the browser's XML parser: a standalone SVG document, sized, with the chart's points.
  const parsed = await page.evaluate((text) => {
    const doc = new DOMParser().parseFromString(text, "image/svg+xml");
    const root = doc.documentElement;
    const circle = root.querySelector("circle");
    return {
      error: doc.getElementsByTagName("parsererror").length,
      root: root.localName,
      ns: root.namespaceURI,
      width: root.getAttribute("width"),
      circles: root.querySelectorAll("circle").length,
      texts: root.querySelectorAll("text").length,
      circleFill: circle?.getAttribute("style") ?? "",
    };
  }, svgText);
  expect(parsed.error).toBe(0);
  expect(parsed.root).toBe("svg");
  expect(parsed.ns).toBe("http://www.w3.org/2000/svg");
  expect(Number(parsed.width)).toBe(width);
  expect(parsed.circles).toBeGreaterThan(0);
  expect(parsed.texts).toBeGreaterThan(0);
  // Styles are inline (no stylesheet outside the page): currentColor resolved to a colour.
  expect(parsed.circleFill).toMatch(/fill: (rgb|#)/);
  expect(svgText).not.toContain("currentColor;");

  const pngDownload = page.waitForEvent("download", { timeout: 30_000 });
  await chart.getByRole("button", { name: /as PNG/ }).click();
  const pngFile = await pngDownload;
  expect(pngFile.suggestedFilename()).toMatch(/\.png$/);
  const png = await saved(pngFile);
  expect(png.length).toBeGreaterThan(1000);
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  // IHDR: width and height at twice the chart's size.
  expect(png.readUInt32BE(16)).toBe(2 * width);
  expect(png.readUInt32BE(20)).toBe(2 * height);

  // Every chart on the page has the control (the charts share one frame).
  const charts = await page.locator("svg[role='img']").count();
  const exportable = await page.locator("[data-testid='exportable-chart'] svg[role='img']").count();
  expect(exportable).toBe(charts);
});

test("a dataset study's prediction panels are titled by the dataset's output names", async ({ page }) => {
  await signInDemo(page);
  await page.goto(`${o}/datasets`);
  await expect(page.getByTestId("dataset-preview")).toBeVisible();
  const rows = Array.from({ length: 12 }, (_, i) => {
    const x = 0.05 + i * 0.08;
    return `${x.toFixed(2)},${(1 + x).toFixed(3)},${(0.5 - 0.3 * x).toFixed(3)},0.05,0.05`;
  });
  await page.getByLabel("CSV text (or load a file)").fill(["x,F2,FL,dF2,dFL", ...rows].join("\n"));
  await page.getByLabel("Input columns").fill("x");
  await page.getByLabel("Target columns").fill("F2,FL");
  await page.getByLabel("Error columns").fill("dF2,dFL");
  const name = `named-outputs-${run}`;
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByRole("button", { name: "Validate and store" }).click();
  await expect(page.getByTestId("dataset-ok")).toBeVisible();

  await page.goto(`${o}/studies/new`);
  await page.locator("#name").fill(`C: outputs ${run}`);
  const option = page.locator("#level option", { hasText: `Dataset: ${name} (24 points` });
  await page.locator("#level").selectOption((await option.getAttribute("value")) ?? "");
  await page.locator("#replicas").fill("2");
  await page.locator("#trials").fill("1");
  await page.locator("#folds").fill("1");
  await page.locator("#maxEpochs").fill("30");
  await page.getByRole("button", { name: "Create study" }).click();
  await expect(page.getByTestId("study-state")).toContainText("COMPLETED", { timeout: 240_000 });
  const predictions = page.getByTestId("predictions-chart");
  await expect(
    predictions.getByRole("img", { name: "Ensemble prediction for F2 with uncertainty band" }),
  ).toBeVisible();
  await expect(
    predictions.getByRole("img", { name: "Ensemble prediction for FL with uncertainty band" }),
  ).toBeVisible();
  await expect(predictions).not.toContainText("output_0");
  // Real data has no truth: no truth line, no truth entry in the legend; the band is defined there.
  const legend = predictions.getByRole("list", { name: "Legend" }).first();
  await expect(legend).toContainText("band: mean ± 1σ over the ensemble's members");
  await expect(legend).not.toContainText("truth");
  await expect(predictions.locator("path[stroke-dasharray='5 3']")).toHaveCount(0);
});
