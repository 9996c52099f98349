// The Python client (clients/python), installed with pip into a fresh venv, against a real server:
// studies, trials, datasets, exports, events and follow (tests/test_client.py). This file plays the
// runner: every WAITING trial of the org completes every 300 ms, so followed studies finish.
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
import { installPythonClient, runUnittest } from "./python-harness.test-helpers";
import { completeWaitingTrials } from "./runner-step.test-helpers";
import { startTestServer, type TestServer } from "./test-server";

let tdb: TestDatabase;
let s: SeededOrg;
let server: TestServer;
let venv: { python: string; dir: string };
const enqueuer = new RecordingEnqueuer();
const limiter = new TokenBucketLimiter({ capacity: 100_000, refillPerSecond: 10_000 });

async function createContext(req: Request): Promise<Context> {
  const principal = await authenticateBearer(tdb.db, req, { limiter });
  return { ...requestContext(tdb.db, principal, enqueuer), req };
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  process.env["DATABASE_URL"] = tdb.url;
  s = await seedOrg(tdb.db, "py");
  server = await startTestServer({ createContext });
  venv = await installPythonClient();
}, 400_000);

afterAll(async () => {
  await server?.stop();
  await tdb?.drop();
});

describe("the Python client", () => {
  it("passes tests/test_client.py against a real server", async () => {
    const { token } = await seedToken(tdb.db, {
      orgId: s.org.id,
      userId: s.users.MEMBER.id,
      scopes: ["studies:read", "studies:write", "datasets:write", "exports:read"],
    });
    let running = true;
    const runner = (async () => {
      while (running) {
        const studies = await tdb.db.study.findMany({ where: { orgId: s.org.id }, select: { id: true } });
        for (const study of studies) await completeWaitingTrials(tdb.db, enqueuer, s.org.id, study.id);
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    const result = await runUnittest(venv.python, venv.dir, "test_client.py", {
      HENS_URL: server.url,
      HENS_TOKEN: token,
      HENS_ORG: s.org.slug,
    });
    running = false;
    await runner;
    expect(result.output).toMatch(/Ran 8 tests/);
    expect(result.code, result.output).toBe(0);
  });
});
