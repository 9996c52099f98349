// `hens dataset upload --theory` through the real REST handler (fetch routed in-process) on a real
// Postgres: the example theory as JSON and as JSON fields + .npz, and a bad array refused by name.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { main } from "@hyperensemble/cli/cli";
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { syntheticTheory, writeNpz } from "@hyperensemble/engine";
import { afterAll, beforeAll, expect, it } from "vitest";
import { TokenBucketLimiter } from "../../../../server/auth/rate-limit";
import { authenticateBearer } from "../../../../server/auth/token";
import {
  RecordingEnqueuer,
  requestContext,
  type SeededOrg,
  seedOrg,
  seedToken,
} from "../../../../server/routers/test-fixtures";
import type { Context } from "../../../../server/trpc";
import { handleRestRequest } from "./handler";

let tdb: TestDatabase;
let s: SeededOrg;
const limiter = new TokenBucketLimiter({ capacity: 10_000, refillPerSecond: 1000 });
const inProcessFetch: typeof fetch = async (input, init) =>
  handleRestRequest(new Request(input as string, init), {
    createContext: async (req: Request): Promise<Context> => ({
      ...requestContext(tdb.db, await authenticateBearer(tdb.db, req, { limiter }), new RecordingEnqueuer()),
      req,
    }),
  });

beforeAll(async () => {
  tdb = await createTestDatabase();
  s = await seedOrg(tdb.db, "theorycli");
});
afterAll(async () => {
  await tdb?.drop();
});

it("uploads a theory as JSON and as an .npz with its fields; a bad array is refused by name", async () => {
  const { token } = await seedToken(tdb.db, {
    orgId: s.org.id,
    userId: s.users.MEMBER.id,
    scopes: ["datasets:write", "studies:read"],
  });
  let out = "";
  let err = "";
  const io = {
    env: { HENS_URL: "http://hens.test", HENS_TOKEN: token, HENS_ORG: s.org.slug },
    stdout: { write: (c: string) => (out += c) },
    stderr: { write: (c: string) => (err += c) },
    fetch: inProcessFetch,
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
  const rows = await tdb.db.dataset.findMany({ where: { orgId: s.org.id }, select: { kind: true } });
  expect(rows.map((r) => r.kind)).toEqual(["theory", "theory"]);

  arrays["subsets/1/fk"]!.data[33] = Number.NaN;
  await writeFile(path.join(dir, "arrays.npz"), writeNpz(arrays));
  expect(await main([...args, "--name", "dis-bad"], io)).toBe(3);
  expect(err).toContain("error 400 BAD_REQUEST");
  expect(err).toContain("theory.subsets.1.fk.1.3: must be a finite number");
});
