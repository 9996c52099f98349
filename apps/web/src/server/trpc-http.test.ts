// /api/trpc over HTTP on a real Postgres: the body cap (413), Retry-After on 429, int32 inputs (400
// naming the field) and the generic 500 that hides database text. Request in, Response out, no server.
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { TokenBucketLimiter } from "./auth/rate-limit";
import { authenticateBearer } from "./auth/token";
import { MAX_BODY_BYTES } from "./http";
import { appRouter } from "./routers/_app";
import {
  RecordingEnqueuer,
  requestContext,
  type SeededOrg,
  seedOrg,
  seedToken,
} from "./routers/test-fixtures";
import { type Context, publicProcedure, router } from "./trpc";
import { handleTrpcRequest } from "./trpc-http";

let tdb: TestDatabase;
let a: SeededOrg;
let limiter = new TokenBucketLimiter({ capacity: 1000, refillPerSecond: 100 });

async function createContext(req: Request): Promise<Context> {
  const principal = await authenticateBearer(tdb.db, req, { limiter });
  const session = req.headers.get("x-test-session");
  const ctx = requestContext(
    tdb.db,
    principal ?? (session ? { userId: session } : null),
    new RecordingEnqueuer(),
  );
  return { ...ctx, req };
}

// A router whose procedure fails inside Postgres: a real Prisma error carrying SQL and table names.
const brokenRouter = router({
  broken: publicProcedure.query(({ ctx }) => ctx.db.$queryRaw`SELECT "secret_column" FROM "NoSuchTable"`),
});

type Deps = Parameters<typeof handleTrpcRequest>[1];
const deps = (extra: Partial<Deps> = {}): Deps => ({ router: appRouter, createContext, ...extra });

function query(path: string, input: unknown, headers: Record<string, string> = {}) {
  const qs = `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
  return new Request(`http://hens.test/api/trpc/${path}${qs}`, { headers });
}

function mutation(path: string, body: BodyInit, headers: Record<string, string> = {}) {
  return new Request(`http://hens.test/api/trpc/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
    duplex: "half",
  } as RequestInit);
}

/** A body of `bytes` bytes sent in 64 KiB chunks, with no Content-Length (chunked encoding). */
function chunkedBody(bytes: number, onPull: (sent: number) => void): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(64 * 1024).fill(0x20);
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= bytes) return controller.close();
      const n = Math.min(chunk.byteLength, bytes - sent);
      sent += n;
      onPull(sent);
      controller.enqueue(chunk.subarray(0, n));
    },
  });
}

// biome-ignore lint/suspicious/noExplicitAny: tRPC envelopes are probed field by field
async function errorOf(res: Response): Promise<any> {
  const body = (await res.json()) as { error: { json: unknown } } | { error: { json: unknown } }[];
  return (Array.isArray(body) ? body[0]?.error.json : body.error.json) ?? null;
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  a = await seedOrg(tdb.db, "th");
});
afterAll(async () => {
  await tdb?.drop();
});

describe("body cap", () => {
  it("the default cap is HENS_MAX_BODY_BYTES' default, above the 10 MiB dataset limit", () => {
    expect(MAX_BODY_BYTES).toBe(12 * 1024 * 1024);
  });

  it("a declared Content-Length over the cap is 413 naming the limit, before the body is read", async () => {
    let pulled = 0;
    const req = mutation(
      "study.create",
      chunkedBody(4096, (n) => {
        pulled = n;
      }),
      { "content-length": "4096", "x-test-session": a.users.MEMBER.id },
    );
    const res = await handleTrpcRequest(req, deps({ maxBodyBytes: 1024 }));
    expect(res.status).toBe(413);
    const error = await errorOf(res);
    expect(error.data.code).toBe("PAYLOAD_TOO_LARGE");
    expect(error.message).toContain("1024 bytes");
    expect(error.message).toContain("HENS_MAX_BODY_BYTES");
    expect(pulled).toBeLessThanOrEqual(64 * 1024);
  });

  it("a chunked body is cut at the cap: 413, and the sender is not read to the end", async () => {
    let pulled = 0;
    const total = 8 * 1024 * 1024;
    const req = mutation(
      "study.create",
      chunkedBody(total, (n) => {
        pulled = n;
      }),
      { "x-test-session": a.users.MEMBER.id },
    );
    const res = await handleTrpcRequest(req, deps({ maxBodyBytes: 256 * 1024 }));
    expect(res.status).toBe(413);
    expect((await errorOf(res)).message).toContain(`${256 * 1024} bytes`);
    // Read up to the cap plus what the stream had queued ahead, never the whole 8 MiB.
    expect(pulled).toBeLessThan(total / 4);
  });

  it("the same applies to a batch: every call answers 413", async () => {
    const req = new Request("http://hens.test/api/trpc/study.create,study.create?batch=1", {
      method: "POST",
      headers: { "content-type": "application/json", "x-test-session": a.users.MEMBER.id },
      body: JSON.stringify({ 0: { json: { name: "x".repeat(4096) } }, 1: { json: {} } }),
    });
    const res = await handleTrpcRequest(req, deps({ maxBodyBytes: 1024 }));
    expect(res.status).toBe(413);
    const body = (await res.json()) as { error: { json: { data: { code: string } } } }[];
    expect(body.map((b) => b.error.json.data.code)).toEqual(["PAYLOAD_TOO_LARGE", "PAYLOAD_TOO_LARGE"]);
  });

  it("a body under the cap goes through to validation as before", async () => {
    const req = mutation("study.create", JSON.stringify({ json: { org: a.org.slug, name: "" } }), {
      "x-test-session": a.users.MEMBER.id,
    });
    const res = await handleTrpcRequest(req, deps({ maxBodyBytes: 1024 }));
    expect(res.status).toBe(400);
    expect((await errorOf(res)).data.fieldErrors).toHaveProperty("name");
  });
});

describe("429", () => {
  it("carries Retry-After and the RateLimit fields on tRPC too", async () => {
    limiter = new TokenBucketLimiter({ capacity: 1, refillPerSecond: 0.25 });
    try {
      const t = await seedToken(tdb.db, {
        orgId: a.org.id,
        userId: a.users.OWNER.id,
        scopes: ["studies:read"],
      });
      const auth = { authorization: `Bearer ${t.token}` };
      const ok = await handleTrpcRequest(query("study.list", { org: a.org.slug }, auth), deps());
      expect(ok.status).toBe(200);
      const limited = await handleTrpcRequest(query("study.list", { org: a.org.slug }, auth), deps());
      expect(limited.status).toBe(429);
      expect(limited.headers.get("Retry-After")).toBe("4");
      expect(limited.headers.get("RateLimit-Remaining")).toBe("0");
      expect((await errorOf(limited)).data.code).toBe("TOO_MANY_REQUESTS");
    } finally {
      limiter = new TokenBucketLimiter({ capacity: 1000, refillPerSecond: 100 });
    }
  });
});

describe("integers past int32", () => {
  const PAST = 2 ** 31;
  const session = () => ({ "x-test-session": a.users.OWNER.id });
  // A real study, so that each input would reach Postgres if the schema let it through.
  let studyId = "";
  beforeAll(async () => {
    const created = await handleTrpcRequest(
      mutation(
        "study.create",
        JSON.stringify({ json: { org: a.org.slug, name: "int32", replicas: 2, trials: 1, parallelism: 1 } }),
        session(),
      ),
      deps(),
    );
    expect(created.status).toBe(200);
    studyId = ((await created.json()) as { result: { data: { json: { id: string } } } }).result.data.json.id;
  });

  it.each([
    ["study.trials", { page: PAST }, "page"],
    ["study.trials", { page: 0, pageSize: PAST }, "pageSize"],
    ["study.trial", { number: PAST }, "number"],
    ["study.list", { page: PAST }, "page"],
    ["trial.list", { after: PAST }, "after"],
    ["trial.list", { take: PAST }, "take"],
    ["audit.list", { take: PAST }, "take"],
  ] as const)("%s %o answers 400 naming the field", async (path, input, field) => {
    const res = await handleTrpcRequest(
      query(path, { org: a.org.slug, studyId, ...input }, session()),
      deps(),
    );
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.data.code).toBe("BAD_REQUEST");
    expect(Object.keys(error.data.fieldErrors)).toEqual([field]);
    expect(error.data.fieldErrors[field]).toContain(field);
  });

  it("the largest page the schema allows is answered (an empty page), not a database error", async () => {
    const res = await handleTrpcRequest(
      query("study.trials", { org: a.org.slug, studyId, page: 10737418, pageSize: 200 }, session()),
      deps(),
    );
    expect(res.status).toBe(200);
    const last = await handleTrpcRequest(
      query("study.trial", { org: a.org.slug, studyId, number: 2 ** 31 - 1 }, session()),
      deps(),
    );
    expect(last.status).toBe(404);
  });
});

describe("internal errors", () => {
  it("answer a generic 500 with a request id; the Prisma/SQL detail goes to the log only", async () => {
    const logged: unknown[][] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((...args) => {
      logged.push(args);
    });
    try {
      const res = await handleTrpcRequest(
        query("broken", undefined),
        deps({ router: brokenRouter as unknown as Deps["router"] }),
      );
      expect(res.status).toBe(500);
      const text = await res.clone().text();
      for (const leak of ["NoSuchTable", "secret_column", "SELECT", "prisma", "Prisma", "relation", "stack"])
        expect(text).not.toContain(leak);
      const error = await errorOf(res);
      expect(error.data.code).toBe("INTERNAL_SERVER_ERROR");
      expect(error.data.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(error.message).toBe(`internal error (request id ${error.data.requestId})`);
      expect(res.headers.get("X-Request-Id")).toBe(error.data.requestId);
      // The operator finds the detail under the id the client was given.
      const line = logged.find((args) => String(args[0]).includes(error.data.requestId));
      expect(line).toBeDefined();
      expect(String(line?.[1])).toContain("NoSuchTable");
    } finally {
      spy.mockRestore();
    }
  });
});
