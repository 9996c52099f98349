// A final fit in the browser (issue 16): upload the example theory (scripts/theory-example.ts, small),
// run a small study on it, start a fit of the selected configuration from the study page, see its
// bands, and download the LHAPDF set: the archive unpacks into the set's folder, the .info and
// member 0 parse, and member 0 is x times the kept replicas' mean (1e-6). Awaits end states only.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { createDb } from "@hyperensemble/db";
import { DEMO_ORG, DEMO_USER, seedDemo } from "@hyperensemble/platform";
import { expect, test } from "@playwright/test";
import { overflow, root, seriousViolations, signIn, smallChartText } from "./helpers";

const db = createDb(process.env.DATABASE_URL);
test.beforeAll(async () => {
  await seedDemo(db);
});
test.afterAll(async () => {
  await db.$disconnect();
});

const run = Date.now().toString(36);

/** An lhagrid1 member: its x knots, Q knots, particle ids and the x·f rows (read from the format's description). */
function readMember(text: string) {
  const [, block] = text.split(/^---$/m);
  const lines = block!.trim().split("\n");
  const nums = (l: string) => l.trim().split(/\s+/).map(Number);
  const [xs, qs, pids] = [nums(lines[0]!), nums(lines[1]!), nums(lines[2]!)];
  const rows = lines.slice(3).map(nums);
  expect(rows).toHaveLength(xs.length * qs.length);
  return { xs, qs, pids, xf: (ix: number, iq: number, k: number) => rows[ix * qs.length + iq]![k]! };
}

test("upload a theory, run a study, fit the selected configuration, see its bands, download its LHAPDF set, compare two fits", async ({
  page,
}) => {
  test.setTimeout(300_000);
  const dir = mkdtempSync(path.join(tmpdir(), "hens-e2e-fit-"));
  execFileSync(
    path.join(root, "node_modules/.bin/tsx"),
    ["scripts/theory-example.ts", "--out", dir, "--subsets", "4", "--points", "6", "--grid", "16"],
    { cwd: root },
  );
  await signIn(page, DEMO_USER.email, DEMO_USER.password, DEMO_ORG.slug);

  // 1. the theory, as its JSON fields and one .npz
  await page.goto(`/o/${DEMO_ORG.slug}/datasets`);
  const name = `e2e-theory-${run}`;
  const form = page.getByRole("form", { name: "Upload a theory" });
  await expect(page.getByTestId("dataset-preview")).toBeVisible(); // hydrated
  await form.getByLabel("Theory name").fill(name);
  await form
    .getByLabel("Theory files")
    .setInputFiles([path.join(dir, "theory-meta.json"), path.join(dir, "theory.npz")]);
  await form.getByRole("button", { name: "Check and store the theory" }).click();
  await expect(page.getByTestId("theory-ok")).toContainText("24 points in 4 sub-datasets");

  // 2. a small study on it, run by the runner to its end
  await page.goto(`/o/${DEMO_ORG.slug}/studies/new`);
  await page.locator("#name").fill(`E2E fit source ${run}`);
  const option = page.locator("#level option", { hasText: `Dataset: ${name} (24 points` });
  await page.locator("#level").selectOption((await option.getAttribute("value")) ?? "");
  await page.locator("#replicas").fill("2");
  await page.locator("#trials").fill("2");
  // the example theory always fits its first and last sub-datasets: 2 are left to hold out
  await page.locator("#folds").fill("2");
  await page.locator("#maxEpochs").fill("60");
  await page.getByRole("button", { name: "Create study" }).click();
  await expect(page.getByTestId("study-state")).toContainText("COMPLETED", { timeout: 180_000 });

  // 3. a fit of the selected configuration: a wrong field is named first, then the fit starts
  const fits = page.getByTestId("fits-card");
  await fits.getByLabel("Replicas").fill("5000");
  await fits.getByRole("button", { name: "Start a fit" }).click();
  await expect(page.locator("#fit-replicas-error")).toContainText(/1000/);
  await fits.getByLabel("Replicas").fill("4");
  await fits.getByRole("button", { name: "Start a fit" }).click();
  await expect(page).toHaveURL(new RegExp(`/o/${DEMO_ORG.slug}/fits/`));
  const fitId = page.url().split("/fits/")[1]!.split(/[?#]/)[0]!;
  await expect(page.getByTestId("fit-state")).toContainText("COMPLETED", { timeout: 180_000 });

  // 4. its bands: one panel per output, on log then linear x; the post-fit counts; χ² per dataset
  await expect(page.getByTestId("fit-band-panel")).toHaveCount(3);
  await page.getByLabel("linear x").check();
  await expect(page.getByRole("img", { name: /\(linear x\)/ }).first()).toBeVisible();
  const row = await db.fit.findUniqueOrThrow({ where: { id: fitId } });
  expect(row.state).toBe("COMPLETED");
  await expect(page.getByTestId("postfit-counts")).toContainText(`Kept ${row.kept}`);
  await expect(page.getByTestId("fit-datasets").locator("tbody tr")).toHaveCount(5);

  // 5. the LHAPDF set: a .tar.gz of the set's folder
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "LHAPDF set (.tar.gz)" }).click(),
  ]);
  const set = `hens_${fitId}`;
  expect(download.suggestedFilename()).toBe(`${set}.tar.gz`);
  const tar = path.join(dir, "set.tar");
  writeFileSync(tar, gunzipSync(readFileSync(await download.path())));
  execFileSync("tar", ["-xf", tar], { cwd: dir });
  const files = readdirSync(path.join(dir, set)).sort();
  expect(files).toEqual([
    `${set}.info`,
    ...Array.from({ length: row.kept! + 1 }, (_, m) => `${set}_${String(m).padStart(4, "0")}.dat`),
  ]);
  const info = readFileSync(path.join(dir, set, `${set}.info`), "utf8");
  expect(info).toMatch(new RegExp(`NumMembers: ${row.kept! + 1}\\n`));
  expect(info).toMatch(/Flavors: \[1, 2, 3\]/);
  const member0 = readMember(readFileSync(path.join(dir, set, `${set}_0000.dat`), "utf8"));
  const art = row.artifact as {
    x: number[];
    outputs: number[][];
    replicas: { replica: number }[];
    selection: { kept: number[] };
  };
  const kept = art.selection.kept.map((r) => art.outputs[art.replicas.findIndex((s) => s.replica === r)]!);
  const F = 3;
  for (const [ix, x] of member0.xs.entries()) {
    // the set writes 9 significant digits
    const g = art.x.findIndex((v) => Math.abs(v - x) <= 1e-7 * x);
    expect(g).toBeGreaterThanOrEqual(0);
    for (let f = 0; f < F; f++) {
      const mean = kept.reduce((s, o) => s + o[g * F + f]!, 0) / kept.length;
      expect(Math.abs(member0.xf(ix, 0, f) - x * mean)).toBeLessThanOrEqual(
        1e-6 * Math.max(1, Math.abs(x * mean)),
      );
    }
  }

  // 6. a second fit, of the other trial (named in the form), compared with the first
  const other = await db.fit.findUniqueOrThrow({
    where: { id: fitId },
    select: { studyId: true, trialNumber: true },
  });
  await page.goto(`/o/${DEMO_ORG.slug}/studies/${other.studyId}`);
  const card = page.getByTestId("fits-card");
  await card.getByLabel("Replicas").fill("4");
  await card.getByLabel("Trial", { exact: true }).fill(String(1 - other.trialNumber));
  await card.getByRole("button", { name: "Start a fit" }).click();
  await expect(page.getByTestId("fit-state")).toContainText("COMPLETED", { timeout: 180_000 });
  const second = page.url().split("/fits/")[1]!.split(/[?#]/)[0]!;
  await page.goto(`/o/${DEMO_ORG.slug}/studies/${other.studyId}`);
  await page.getByLabel(`Compare fit ${fitId}`).check();
  await page.getByLabel(`Compare fit ${second}`).check();
  await page.getByRole("link", { name: "Compare the two selected fits" }).click();
  await expect(page).toHaveURL(new RegExp(`/fits/compare\\?a=(${fitId}|${second})&b=`));
  await expect(page.getByTestId("fit-band-panel")).toHaveCount(3);
  await expect(page.getByTestId("fit-distance").getByRole("img")).toBeVisible();

  // 7. the fit page has no serious accessibility violation, light and dark
  const problems: string[] = [];
  for (const theme of ["light", "dark"] as const) {
    await page.evaluate((t) => localStorage.setItem("hens-theme", t), theme);
    await page.goto(`/o/${DEMO_ORG.slug}/fits/${fitId}`);
    await expect(page.getByTestId("fit-band-panel")).toHaveCount(3);
    await expect(page.getByText(/^Loading /)).toHaveCount(0);
    if (theme === "dark") await expect(page.locator("html")).toHaveClass(/dark/);
    for (const v of await seriousViolations(page)) problems.push(`${theme} fit: ${v}`);
  }
  expect(problems).toEqual([]);

  // 8. on a phone: neither fit page scrolls sideways, and their charts' text shows at 9 px or more
  await page.setViewportSize({ width: 390, height: 844 });
  for (const url of [
    `/o/${DEMO_ORG.slug}/fits/${fitId}`,
    `/o/${DEMO_ORG.slug}/fits/compare?a=${fitId}&b=${second}`,
  ]) {
    await page.goto(url);
    await expect(page.getByTestId("fit-band-panel").first()).toBeVisible();
    await expect(page.getByText(/^Loading /)).toHaveCount(0);
    await expect.poll(async () => (await smallChartText(page, 9)).small, { message: url }).toEqual([]);
    const o = await overflow(page);
    expect(o.scroll, `${url} scrolls sideways (${o.worst})`).toBe(0);
  }
});
