// `hens fit create|follow|export` against the real REST handler on Postgres (fetch routed
// in-process, as cli.test.ts does); the runner's part is runFit, called between the commands.
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { main } from "@hyperensemble/cli/cli";
import { evaluateWeights, type FitWeights, runFit } from "@hyperensemble/platform";
import { seedFitStudy } from "@hyperensemble/platform/fit-testing";
import { describe, expect, it } from "vitest";
import { seedToken } from "../../../../server/routers/test-fixtures";
import { cliIo, restTestHarness } from "./rest-harness.test-helpers";

const h = restTestHarness("fitcli");

async function hens(env: Record<string, string>, ...argv: string[]) {
  const run = cliIo(h, env);
  const code = await main(argv, run.io);
  return { code, stdout: run.out(), stderr: run.err() };
}

describe("hens fit", () => {
  it("creates a fit of the selected configuration, follows it, exports LHAPDF and weights", async () => {
    const studyId = await seedFitStudy(h.tdb.db, h.s.org.id, h.s.users.MEMBER.id);
    const { token } = await seedToken(h.tdb.db, {
      orgId: h.s.org.id,
      userId: h.s.users.MEMBER.id,
      scopes: ["studies:read", "studies:write", "exports:read"],
    });
    const env = { HENS_URL: "http://hens.test", HENS_TOKEN: token };

    // refused locally (exit 2, no request) and by the API by field (exit 3)
    expect((await hens(env, "fit", "create")).code).toBe(2);
    expect((await hens(env, "fit", "export", "x", "--format", "tar", "-o", "d")).code).toBe(2);
    const tooMany = await hens(env, "fit", "create", studyId, "--replicas", "5000");
    expect(tooMany.code).toBe(3);
    expect(tooMany.stderr).toMatch(/replicas/);

    const created = await hens(env, "fit", "create", studyId, "--replicas", "4");
    expect(created.code, created.stderr).toBe(0);
    const fitId = created.stdout.trim();
    const row = await h.tdb.db.fit.findUniqueOrThrow({ where: { id: fitId } });
    expect(row).toMatchObject({ state: "QUEUED", replicas: 4, trialNumber: 1, orgId: h.s.org.id });

    // not yet COMPLETED: the export is a conflict
    const early = await hens(env, "fit", "export", fitId, "--format", "lhapdf", "-o", "/tmp/never");
    expect(early.code).toBe(3);
    expect(early.stderr).toMatch(/409/);

    expect(await runFit(h.tdb.db, fitId, { backend: "cpu" })).toBe("COMPLETED");
    const followed = await hens(env, "fit", "follow", fitId);
    expect(followed.code, followed.stderr).toBe(0);
    expect(followed.stdout).toMatch(new RegExp(`${fitId}\\s+COMPLETED\\s+100%`));
    expect(followed.stdout).toMatch(/φ²/);
    // χ²/N per dataset as stored (already per point), not divided a second time
    const stored = (await h.tdb.db.fit.findUniqueOrThrow({ where: { id: fitId } })).outcome as {
      datasets: { name: string; chi2: number }[];
    };
    for (const d of stored.datasets)
      expect(followed.stdout).toMatch(new RegExp(`${d.name}\\s+\\d+\\s+χ²/N ${d.chi2.toFixed(3)}`));

    const done = await h.tdb.db.fit.findUniqueOrThrow({ where: { id: fitId } });
    const dir = await mkdtemp(path.join(tmpdir(), "hens-fit-"));
    const lhapdf = await hens(env, "fit", "export", fitId, "--format", "lhapdf", "-o", dir);
    expect(lhapdf.code, lhapdf.stderr).toBe(0);
    const files = (await readdir(dir)).sort();
    expect(files).toHaveLength(done.kept! + 2); // .info, member 0 and the kept replicas
    expect(files[0]).toBe(`hens_${fitId}.info`);
    const info = await readFile(path.join(dir, `hens_${fitId}.info`), "utf8");
    expect(info).toMatch(new RegExp(`NumMembers: ${done.kept! + 1}`));

    const weights = await hens(env, "fit", "export", fitId, "--format", "weights", "-o", dir);
    expect(weights.code, weights.stderr).toBe(0);
    const w = JSON.parse(await readFile(weights.stdout.trim(), "utf8")) as {
      format: string;
      replicas: unknown[];
    };
    expect(w.format).toBe("hyperensemble-weights/1");
    expect(w.replicas).toHaveLength(done.kept!);

    // REST: the kept replicas on rows the caller gives (JSON and CSV) equal the weights' evaluator;
    // a row of the wrong width is a 400 naming it
    const evaluate = (body: unknown) =>
      h.fetch(`http://hens.test/api/v1/orgs/${h.s.org.slug}/fits/${fitId}/evaluate`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const weightsJson = w as unknown as FitWeights;
    const D = weightsJson.sizes[0]!;
    const rows = [0.01, 0.3, 0.8].map((x) =>
      Array.from({ length: D }, (_, j) => (j === 0 ? x : Math.log(x))),
    );
    const json = await evaluate({ rows });
    expect(json.status).toBe(200);
    const ev = (await json.json()) as { replicas: number[]; outputs: number[][][]; mean: number[][] };
    expect(ev.outputs).toHaveLength(done.kept!);
    expect(ev.outputs[1]).toEqual(evaluateWeights(weightsJson, 1, rows));
    const csv = await evaluate({ rows, format: "csv" });
    expect(csv.status).toBe(200);
    const lines = ((await csv.json()) as { csv: string }).csv.trim().split("\n");
    expect(lines).toHaveLength(1 + done.kept! * rows.length);
    expect(lines[0]).toMatch(/^replica,row,feature_0,/);
    const bad = await evaluate({ rows: [rows[0], [0.5]] });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/rows\.1/);

    // the CLI: rows from a file, CSV to a file or JSON to stdout; no -f is a usage error
    const rowsFile = path.join(dir, "rows.json");
    await writeFile(rowsFile, JSON.stringify({ rows }));
    const csvFile = path.join(dir, "evaluated.csv");
    const evCsv = await hens(env, "fit", "evaluate", fitId, "-f", rowsFile, "--format", "csv", "-o", csvFile);
    expect(evCsv.code, evCsv.stderr).toBe(0);
    expect((await readFile(csvFile, "utf8")).trim().split("\n")).toHaveLength(1 + done.kept! * rows.length);
    const evJson = await hens(env, "fit", "evaluate", fitId, "-f", rowsFile);
    expect(evJson.code, evJson.stderr).toBe(0);
    expect((JSON.parse(evJson.stdout) as { outputs: number[][][] }).outputs[1]).toEqual(
      evaluateWeights(weightsJson, 1, rows),
    );
    expect((await hens(env, "fit", "evaluate", fitId)).code).toBe(2);
  }, 300_000);
});
