// `hens dataset upload --theory` through the real REST handler (fetch routed in-process) on a real
// Postgres: the example theory as JSON and as JSON fields + .npz, and a bad array refused by name.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { main } from "@hyperensemble/cli/cli";
import { syntheticTheory, writeNpz } from "@hyperensemble/engine";
import { expect, it } from "vitest";
import { seedToken } from "../../../../server/routers/test-fixtures";
import { cliIo, restTestHarness } from "./rest-harness.test-helpers";

const h = restTestHarness("theorycli");

/** `hens dataset upload --theory DIR/meta.json --npz DIR/<npz>` (the name follows). */
const npzUpload = (dir: string, npz: string) => [
  "dataset",
  "upload",
  "--theory",
  path.join(dir, "meta.json"),
  "--npz",
  path.join(dir, npz),
];

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
  const args = npzUpload(dir, "arrays.npz");
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

it("past 4 MiB of files, sends them as multipart to /datasets/theory; the numbers arrive exactly", async () => {
  const { token } = await seedToken(h.tdb.db, {
    orgId: h.s.org.id,
    userId: h.s.users.MEMBER.id,
    scopes: ["datasets:write", "studies:read"],
  });
  const { io, out } = cliIo(h, { HENS_URL: "http://hens.test", HENS_TOKEN: token, HENS_ORG: h.s.org.slug });
  const sent: string[] = [];
  io.fetch = (input, init) => {
    sent.push(`${init?.method} ${String(input)}`);
    return h.fetch(input, init);
  };
  // 2 sub-datasets of 100 points on the largest grid (200 rows × 14 outputs): 4.5 MB of float64 FK
  const G = 200;
  const F = 14;
  const fk = (i: number) => Array.from({ length: 100 * G * F }, (_, j) => ((j * 7 + i) % 1000) / 997);
  const dir = await mkdtemp(path.join(tmpdir(), "hens-theory-big-"));
  const meta = {
    format: "theory",
    nOutputs: F,
    subsets: [0, 1].map((i) => ({
      name: `s${i}`,
      values: Array.from({ length: 100 }, (_, p) => 1 + p / 100),
      stat: Array.from({ length: 100 }, () => 0.05),
    })),
  };
  const grid = Array.from({ length: G }, (_, g) => [(g + 1) / (G + 1)]);
  await writeFile(path.join(dir, "meta.json"), JSON.stringify(meta));
  await writeFile(
    path.join(dir, "big.npz"),
    writeNpz(
      {
        grid: { shape: [G, 1], data: grid.flat() },
        "subsets/0/fk": { shape: [100, G * F], data: fk(0) },
        "subsets/1/fk": { shape: [100, G, F], data: fk(1) },
      },
      { deflate: false },
    ),
  );
  const args = npzUpload(dir, "big.npz");
  expect(await main([...args, "--name", "big"], io), out()).toBe(0);
  expect(out()).toMatch(/ big {2}200 points/);
  expect(sent).toEqual([`POST http://hens.test/api/v1/orgs/${h.s.org.slug}/datasets/theory`]);
  const row = await h.tdb.db.dataset.findFirstOrThrow({
    where: { orgId: h.s.org.id, name: "big" },
    select: { data: true },
  });
  const stored = row.data as { grid: number[][]; subsets: { fk: number[][] }[] };
  expect(stored.grid).toEqual(grid);
  expect(stored.subsets[1]!.fk[99]).toEqual(fk(1).slice(99 * G * F));
  expect(stored.subsets[0]!.fk[37]![1234]).toBe(fk(0)[37 * G * F + 1234]);
});
