// One set-up for the tests that drive the REST API as a client would (CLI in-process, packed CLI,
// Python client): a migrated database with one seeded org, and createContext built as the REST route
// builds it, from the bearer token. The fields are filled in by the beforeAll this registers.
import type { TestDatabase } from "@hyperensemble/db/testing";
import { createTestDatabase } from "@hyperensemble/db/testing";
import { afterAll, beforeAll } from "vitest";
import { TokenBucketLimiter } from "../../../../server/auth/rate-limit";
import { authenticateBearer } from "../../../../server/auth/token";
import {
  RecordingEnqueuer,
  requestContext,
  type SeededOrg,
  seedOrg,
} from "../../../../server/routers/test-fixtures";
import type { Context } from "../../../../server/trpc";
import { handleRestRequest } from "./handler";

export interface RestHarness {
  tdb: TestDatabase;
  /** The seeded org, one user per role. */
  s: SeededOrg;
  /** Records the trials the API enqueues (the runner's side of the queue, for simulated runners). */
  readonly enqueuer: RecordingEnqueuer;
  createContext(req: Request): Promise<Context>;
  /** fetch routed into the REST handler in-process, no socket. */
  readonly fetch: typeof fetch;
}

export interface RestHarnessOptions {
  /** Token-bucket size per API token; clients that poll fast need a large one. */
  limiter?: { capacity: number; refillPerSecond: number };
  /** Set DATABASE_URL to the test database (for code that reads it from the environment). */
  exportDatabaseUrl?: boolean;
  /** More set-up registered in the same beforeAll, after the org is seeded (a server, a venv). */
  setUp?: (h: RestHarness) => Promise<void>;
  tearDown?: (h: RestHarness) => Promise<void>;
  setUpTimeoutMs?: number;
}

/** Registers beforeAll/afterAll in the calling file and returns the harness they fill in. */
export function restTestHarness(label: string, options: RestHarnessOptions = {}): RestHarness {
  const limiter = new TokenBucketLimiter(options.limiter ?? { capacity: 10_000, refillPerSecond: 1000 });
  const h = {
    enqueuer: new RecordingEnqueuer(),
    async createContext(req: Request): Promise<Context> {
      const principal = await authenticateBearer(h.tdb.db, req, { limiter });
      return { ...requestContext(h.tdb.db, principal, h.enqueuer), req };
    },
    fetch: (async (input, init) =>
      handleRestRequest(new Request(input as string, init), {
        createContext: (req) => h.createContext(req),
      })) as typeof fetch,
  } as RestHarness;
  beforeAll(async () => {
    h.tdb = await createTestDatabase();
    if (options.exportDatabaseUrl) process.env["DATABASE_URL"] = h.tdb.url;
    h.s = await seedOrg(h.tdb.db, label);
    await options.setUp?.(h);
  }, options.setUpTimeoutMs ?? 120_000);
  afterAll(async () => {
    await options.tearDown?.(h);
    await h.tdb?.drop();
  });
  return h;
}

/** The CLI's io over the harness's in-process fetch, collecting stdout and stderr; sleeps run `onSleep`. */
export function cliIo(h: RestHarness, env: Record<string, string>, onSleep?: () => Promise<void>) {
  let stdout = "";
  let stderr = "";
  return {
    io: {
      env,
      stdout: { write: (c: string) => (stdout += c) },
      stderr: { write: (c: string) => (stderr += c) },
      fetch: h.fetch,
      sleep: async () => {
        await onSleep?.();
      },
    },
    out: () => stdout,
    err: () => stderr,
  };
}
