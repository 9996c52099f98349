// `hens dataset upload --theory` through the real REST handler (fetch routed in-process) on a real
// Postgres: the example theory as JSON and as JSON fields + .npz, and a bad array refused by name.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { main } from "@hyperensemble/cli/cli";
import { syntheticTheory, writeNpz } from "@hyperensemble/engine";
import { expect, it } from "vitest";
import { seedToken } from "../../../../server/routers/test-fixtures";
import { restTestHarness } from "./rest-harness.test-helpers";

const h = restTestHarness("theorycli");

it("uploads a theory as JSON and as an .npz with its fields; a bad array is refused by name", async () => {
  const { token } = await seedToken(h.tdb.db, {
    orgId: h.s.org.id,
    userId: h.s.users.MEMBER.id,
    scopes: ["datasets:write", "studies:read"],
  });
  let out = "";
  let err = "";
  const io = {
    env: { HENS_URL: "http://hens.test", HENS_TOKEN: token, HENS_ORG: h.s.org.slug },
    stdout: { write: (c: string) => (out += c) },
    stderr: { write: (c: string) => (err += c) },
    fetch: h.fetch,
  };
  const dir = await mkdtemp(path.join(tmpdir(), "hens-theory-"));
  const theory = syntheticTheory({ subsets: 3, pointsPerSubset: 5, gridPoints: 10 });
  await writeFile(path.join(dir, "theory.json"), JSON.stringify(theory));
  expect(
    await main(["dataset", "upload", "--theory", path.join(dir, "theory.json"), "--name", "dis"], io),
  ).toBe(0);
  expect(out).toMatch(/ dis {2}15 points/);

  const { grid, subsets, positivity: _p, truthOutputs: _t, ...rest } = theory;
  const meta = { ...rest, subsets: subsets.map((x) => ({ name: x.name, stat: x.stat, values: x.values })) };
  const arrays = Object.fromEntries([
    ["grid", { shape: [10, 2], data: grid.flat() }],
    ...subsets.map((x, i) => [`subsets/${i}/fk`, { shape: [5, 30], data: (x.fk as number[][]).flat() }]),
  ]);
  await writeFile(path.join(dir, "meta.json"), JSON.stringify(meta));
  await writeFile(path.join(dir, "arrays.npz"), writeNpz(arrays));
  const args = [
    "dataset",
    "upload",
    "--theory",
    path.join(dir, "meta.json"),
    "--npz",
    path.join(dir, "arrays.npz"),
  ];
  expect(await main([...args, "--name", "dis-npz"], io)).toBe(0);
  expect(out).toMatch(/ dis-npz {2}15 points/);
  const rows = await h.tdb.db.dataset.findMany({ where: { orgId: h.s.org.id }, select: { kind: true } });
  expect(rows.map((r) => r.kind)).toEqual(["theory", "theory"]);

  arrays["subsets/1/fk"]!.data[33] = Number.NaN;
  await writeFile(path.join(dir, "arrays.npz"), writeNpz(arrays));
  expect(await main([...args, "--name", "dis-bad"], io)).toBe(3);
  expect(err).toContain("error 400 BAD_REQUEST");
  expect(err).toContain("theory.subsets.1.fk.1.3: must be a finite number");
});
