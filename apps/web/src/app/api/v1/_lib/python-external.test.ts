// External trials from the Python client (clients/python/tests/test_external.py): ask, report,
// heartbeat in a thread, tell values / predictions / PRUNED / FAIL, against a real server.
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
import { startTestServer, type TestServer } from "./test-server";

let tdb: TestDatabase;
let s: SeededOrg;
let server: TestServer;
let venv: { python: string; dir: string };
const limiter = new TokenBucketLimiter({ capacity: 100_000, refillPerSecond: 10_000 });

async function createContext(req: Request): Promise<Context> {
  const principal = await authenticateBearer(tdb.db, req, { limiter });
  return { ...requestContext(tdb.db, principal, new RecordingEnqueuer()), req };
}

describe("external trials from the Python client", () => {
  beforeAll(async () => {
    tdb = await createTestDatabase();
    process.env["DATABASE_URL"] = tdb.url;
    s = await seedOrg(tdb.db, "pyext");
    server = await startTestServer({ createContext });
    venv = await installPythonClient();
  }, 400_000);

  afterAll(async () => {
    await server?.stop();
    await tdb?.drop();
  });

  it("passes tests/test_external.py against a real server", async () => {
    const { token } = await seedToken(tdb.db, {
      orgId: s.org.id,
      userId: s.users.MEMBER.id,
      scopes: ["studies:read", "studies:write", "trials:write", "datasets:write"],
    });
    const result = await runUnittest(venv.python, venv.dir, "test_external.py", {
      HENS_URL: server.url,
      HENS_TOKEN: token,
      HENS_ORG: s.org.slug,
    });
    expect(result.output).toMatch(/Ran 2 tests/);
    expect(result.code, result.output).toBe(0);
  });
});
