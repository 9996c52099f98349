// The REST layer end to end without a server: Request in, Response out, on a real Postgres.
// Authentication is the token branch of createContext (authenticateBearer) with a controllable clock
// and limiter; browser sessions are stood in for by an `x-test-session` header.
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { TokenBucketLimiter } from "../../../../server/auth/rate-limit";
import { authenticateBearer, sha256Hex, TOKEN_SCOPES } from "../../../../server/auth/token";
import { appRouter } from "../../../../server/routers/_app";
import {
  RecordingEnqueuer,
  requestContext,
  type SeededOrg,
  seedOrg,
  seedToken,
} from "../../../../server/routers/test-fixtures";
import type { Context } from "../../../../server/trpc";
import { handleRestRequest } from "./handler";
import { REST_ROUTES } from "./routes";

let tdb: TestDatabase;
let a: SeededOrg;
let b: SeededOrg;
let clock = new Date("2026-01-01T00:00:00Z");
let limiter = new TokenBucketLimiter({ capacity: 1000, refillPerSecond: 100 });
const enqueuer = new RecordingEnqueuer();

async function createContext(req: Request): Promise<Context> {
  // A real Postgres error where createContext reads the database (as token lookups do).
  if (req.headers.has("x-test-broken-query"))
    await tdb.db.$queryRaw`SELECT "secret_column" FROM "NoSuchTable"`;
  const principal = await authenticateBearer(tdb.db, req, { now: () => clock, limiter });
  const session = req.headers.get("x-test-session");
  const ctx = requestContext(tdb.db, principal ?? (session ? { userId: session } : null), enqueuer);
  return { ...ctx, req };
}

function rest(
  method: string,
  path: string,
  options: { token?: string; session?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers["authorization"] = `Bearer ${options.token}`;
  if (options.session) headers["x-test-session"] = options.session;
  if (options.body !== undefined) headers["content-type"] ??= "application/json";
  const req = new Request(`http://hens.test/api/v1${path}`, {
    method,
    headers,
    ...(options.body !== undefined
      ? { body: typeof options.body === "string" ? options.body : JSON.stringify(options.body) }
      : {}),
  });
  return handleRestRequest(req, { createContext });
}

async function json(res: Response) {
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are probed field by field in assertions
  return (await res.json()) as Record<string, any>;
}

const ALL_SCOPES = [...TOKEN_SCOPES];

beforeAll(async () => {
  tdb = await createTestDatabase();
  a = await seedOrg(tdb.db, "ra");
  b = await seedOrg(tdb.db, "rb");
});
afterAll(async () => {
  await tdb?.drop();
});

describe("tokens", () => {
  it("are stored as a SHA-256 hash and a display prefix only, and shown once", async () => {
    const res = await rest("POST", `/orgs/${a.org.slug}/tokens`, {
      session: a.users.MEMBER.id,
      body: { name: "ci", scopes: ["studies:read", "studies:write"], expiresInDays: 30 },
    });
    expect(res.status).toBe(201);
    const created = await json(res);
    expect(created["token"]).toMatch(/^hens_[A-Za-z0-9_-]{32}$/);
    const token = created["token"] as string;
    // Nothing in the database holds the plaintext: not the token row, not the audit log.
    const rows = await tdb.db.$queryRaw<unknown[]>`SELECT * FROM "ApiToken"`;
    const audit = await tdb.db.$queryRaw<unknown[]>`SELECT * FROM "AuditEvent"`;
    const dump = JSON.stringify([rows, audit]);
    expect(dump).not.toContain(token);
    expect(dump).not.toContain(token.slice(5));
    expect(dump).toContain(sha256Hex(token));
    expect(created["prefix"]).toBe(token.slice(0, 13));
    // Listing never shows it again.
    const list = await json(await rest("GET", `/orgs/${a.org.slug}/tokens`, { session: a.users.MEMBER.id }));
    expect(JSON.stringify(list)).not.toContain(token);
    expect(JSON.stringify(list)).not.toContain(sha256Hex(token));
    expect(list["items"]).toHaveLength(1);
    // And the token works.
    const studies = await rest("GET", `/orgs/${a.org.slug}/studies`, { token });
    expect(studies.status).toBe(200);
  });

  it("cannot be minted beyond the creator's role (400 naming scopes)", async () => {
    const res = await rest("POST", `/orgs/${a.org.slug}/tokens`, {
      session: a.users.VIEWER.id,
      body: { name: "too much", scopes: ["studies:read", "studies:write"] },
    });
    expect(res.status).toBe(400);
    expect((await json(res))["error"]["fieldErrors"]).toHaveProperty("scopes");
  });

  it("revoked, expired, unknown and malformed tokens get 401", async () => {
    const revoked = await seedToken(tdb.db, {
      orgId: a.org.id,
      userId: a.users.OWNER.id,
      scopes: ALL_SCOPES,
      revokedAt: new Date(clock.getTime() - 1000),
    });
    const expired = await seedToken(tdb.db, {
      orgId: a.org.id,
      userId: a.users.OWNER.id,
      scopes: ALL_SCOPES,
      expiresAt: new Date(clock.getTime() - 1),
    });
    for (const token of [revoked.token, expired.token, `hens_${"x".repeat(32)}`, "hens_short"]) {
      const res = await rest("GET", `/orgs/${a.org.slug}/studies`, { token });
      expect(res.status, token).toBe(401);
      const body = await json(res);
      expect(body["error"]["code"]).toBe("UNAUTHORIZED");
    }
    const basic = await rest("GET", `/orgs/${a.org.slug}/studies`, {
      headers: { authorization: "Basic abc" },
    });
    expect(basic.status).toBe(401);
    expect((await rest("GET", `/orgs/${a.org.slug}/studies`)).status).toBe(401);
  });

  it("revoking through the API stops the token at once", async () => {
    const t = await seedToken(tdb.db, {
      orgId: a.org.id,
      userId: a.users.MEMBER.id,
      scopes: ["studies:read"],
    });
    expect((await rest("GET", `/orgs/${a.org.slug}/studies`, { token: t.token })).status).toBe(200);
    const res = await rest("POST", `/orgs/${a.org.slug}/tokens/${t.id}/revoke`, {
      session: a.users.ADMIN.id,
    });
    expect(res.status).toBe(200);
    expect((await rest("GET", `/orgs/${a.org.slug}/studies`, { token: t.token })).status).toBe(401);
    const events = await tdb.db.auditEvent.findMany({ where: { orgId: a.org.id, action: "token.revoke" } });
    expect(events.map((e) => e.target)).toContain(t.id);
  });

  it("a missing scope is 403; a token cannot manage tokens", async () => {
    const t = await seedToken(tdb.db, {
      orgId: a.org.id,
      userId: a.users.OWNER.id,
      scopes: ["studies:read"],
    });
    const res = await rest("POST", `/orgs/${a.org.slug}/studies`, {
      token: t.token,
      body: { name: "x", replicas: 2, trials: 1 },
    });
    expect(res.status).toBe(403);
    expect((await json(res))["error"]["message"]).toContain("studies:write");
    const full = await seedToken(tdb.db, { orgId: a.org.id, userId: a.users.OWNER.id, scopes: ALL_SCOPES });
    expect((await rest("GET", `/orgs/${a.org.slug}/tokens`, { token: full.token })).status).toBe(403);
  });

  it("rate limit: 429 with Retry-After and RateLimit headers, then recovers", async () => {
    limiter = new TokenBucketLimiter({ capacity: 3, refillPerSecond: 0.5 });
    try {
      const t = await seedToken(tdb.db, {
        orgId: a.org.id,
        userId: a.users.OWNER.id,
        scopes: ["studies:read"],
      });
      const path = `/orgs/${a.org.slug}/studies`;
      const ok = await rest("GET", path, { token: t.token });
      expect(ok.status).toBe(200);
      expect(ok.headers.get("RateLimit-Limit")).toBe("3");
      expect(ok.headers.get("RateLimit-Remaining")).toBe("2");
      await rest("GET", path, { token: t.token });
      await rest("GET", path, { token: t.token });
      const limited = await rest("GET", path, { token: t.token });
      expect(limited.status).toBe(429);
      expect(limited.headers.get("Retry-After")).toBe("2");
      expect(limited.headers.get("RateLimit-Remaining")).toBe("0");
      expect((await json(limited))["error"]["code"]).toBe("TOO_MANY_REQUESTS");
      // Another token is not affected; the same one recovers once the bucket refills.
      const other = await seedToken(tdb.db, {
        orgId: a.org.id,
        userId: a.users.OWNER.id,
        scopes: ["studies:read"],
      });
      expect((await rest("GET", path, { token: other.token })).status).toBe(200);
      clock = new Date(clock.getTime() + 2000);
      expect((await rest("GET", path, { token: t.token })).status).toBe(200);
    } finally {
      limiter = new TokenBucketLimiter({ capacity: 1000, refillPerSecond: 100 });
    }
  });

  it("lastUsedAt is written at most once a minute", async () => {
    const t = await seedToken(tdb.db, {
      orgId: a.org.id,
      userId: a.users.OWNER.id,
      scopes: ["studies:read"],
    });
    const lastUsed = async () =>
      (await tdb.db.apiToken.findFirst({ where: { id: t.id, orgId: a.org.id } }))?.lastUsedAt?.getTime();
    const t0 = clock.getTime();
    await rest("GET", `/orgs/${a.org.slug}/studies`, { token: t.token });
    expect(await lastUsed()).toBe(t0);
    clock = new Date(t0 + 59_000);
    await rest("GET", `/orgs/${a.org.slug}/studies`, { token: t.token });
    expect(await lastUsed()).toBe(t0);
    clock = new Date(t0 + 61_000);
    await rest("GET", `/orgs/${a.org.slug}/studies`, { token: t.token });
    expect(await lastUsed()).toBe(t0 + 61_000);
  });
});

describe("errors", () => {
  it("400 names the field; 404 unknown route; 405 wrong method; 415 non-JSON; 413 oversize", async () => {
    const t = await seedToken(tdb.db, { orgId: a.org.id, userId: a.users.MEMBER.id, scopes: ALL_SCOPES });
    const bad = await rest("POST", `/orgs/${a.org.slug}/studies`, {
      token: t.token,
      body: { name: "x", replicas: "many", trials: 0 },
    });
    expect(bad.status).toBe(400);
    const body = await json(bad);
    expect(body["error"]["code"]).toBe("BAD_REQUEST");
    expect(Object.keys(body["error"]["fieldErrors"])).toEqual(expect.arrayContaining(["replicas", "trials"]));
    const badQuery = await rest("GET", `/orgs/${a.org.slug}/studies?take=lots`, { token: t.token });
    expect(badQuery.status).toBe(400);
    expect((await json(badQuery))["error"]["fieldErrors"]).toHaveProperty("take");
    expect((await rest("GET", "/nope", { token: t.token })).status).toBe(404);
    expect((await rest("DELETE", `/orgs/${a.org.slug}/studies`, { token: t.token })).status).toBe(405);
    const form = await rest("POST", `/orgs/${a.org.slug}/studies`, {
      token: t.token,
      body: "name=x",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBe(415);
    const invalid = await rest("POST", `/orgs/${a.org.slug}/studies`, { token: t.token, body: "{nope" });
    expect(invalid.status).toBe(400);
    const huge = await rest("POST", `/orgs/${a.org.slug}/datasets`, {
      token: t.token,
      body: JSON.stringify({ format: "csv", name: "big", csv: "x".repeat(12 * 1024 * 1024) }),
    });
    expect(huge.status).toBe(413);
  });

  it("413 names the shared limit; a chunked body is cut at the cap, not read to its end", async () => {
    const t = await seedToken(tdb.db, { orgId: a.org.id, userId: a.users.MEMBER.id, scopes: ALL_SCOPES });
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (pulled >= 8 * 1024 * 1024) return c.close();
        pulled += 64 * 1024;
        c.enqueue(new Uint8Array(64 * 1024).fill(0x20));
      },
    });
    const req = new Request(`http://hens.test/api/v1/orgs/${a.org.slug}/datasets`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.token}`, "content-type": "application/json" },
      body,
      duplex: "half",
    } as RequestInit);
    const res = await handleRestRequest(req, { createContext, maxBodyBytes: 256 * 1024 });
    expect(res.status).toBe(413);
    expect((await json(res))["error"]["message"]).toBe(
      `request body is larger than ${256 * 1024} bytes (HENS_MAX_BODY_BYTES)`,
    );
    expect(pulled).toBeLessThan(2 * 1024 * 1024);
  });

  it("integers past int32 in a query are 400 naming the field, never a database error", async () => {
    const t = await seedToken(tdb.db, { orgId: a.org.id, userId: a.users.MEMBER.id, scopes: ALL_SCOPES });
    const study = await json(
      await rest("POST", `/orgs/${a.org.slug}/studies`, {
        token: t.token,
        body: { name: "int32", replicas: 2, trials: 1, parallelism: 1 },
      }),
    );
    for (const [query, field] of [
      [`after=${2 ** 31}`, "after"],
      [`take=${2 ** 31}`, "take"],
      [`after=${2 ** 53}`, "after"],
    ] as const) {
      const res = await rest("GET", `/orgs/${a.org.slug}/studies/${study["id"]}/trials?${query}`, {
        token: t.token,
      });
      expect(res.status, query).toBe(400);
      const error = (await json(res))["error"];
      expect(Object.keys(error["fieldErrors"])).toEqual([field]);
      expect(error["message"]).toContain(field);
    }
  });

  it("unexpected errors are a generic 500 with a request id: no SQL, Prisma or table text", async () => {
    const logged: unknown[][] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((...args) => {
      logged.push(args);
    });
    const renamed = async (from: string, to: string) =>
      tdb.db.$executeRawUnsafe(`ALTER TABLE "${from}" RENAME TO "${to}"`);
    try {
      const failures = [
        // createContext fails in Postgres (a throw outside any procedure).
        await rest("GET", `/orgs/${a.org.slug}/studies`, { headers: { "x-test-broken-query": "1" } }),
      ];
      // A procedure's query fails in Postgres: its table is gone for a moment.
      await renamed("AuditEvent", "AuditEventAway");
      try {
        failures.push(await rest("GET", `/orgs/${a.org.slug}/audit`, { session: a.users.OWNER.id }));
      } finally {
        await renamed("AuditEventAway", "AuditEvent");
      }
      for (const res of failures) {
        expect(res.status).toBe(500);
        const text = await res.clone().text();
        for (const leak of ["NoSuchTable", "secret_column", "AuditEvent", "SELECT", "Prisma", "prisma"])
          expect(text).not.toContain(leak);
        const error = (await json(res))["error"];
        const id = res.headers.get("X-Request-Id");
        expect(id).toMatch(/^[0-9a-f-]{36}$/);
        expect(error).toEqual({
          code: "INTERNAL_SERVER_ERROR",
          message: `internal error (request id ${id})`,
          fieldErrors: null,
        });
        expect(logged.some((args) => String(args[0]).includes(id ?? "-"))).toBe(true);
      }
    } finally {
      spy.mockRestore();
    }
  });

  it("a browser session cannot be used cross-site", async () => {
    const res = await rest("POST", `/orgs/${a.org.slug}/tokens`, {
      session: a.users.OWNER.id,
      body: { name: "csrf", scopes: ["studies:read"] },
      headers: { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
    });
    expect(res.status).toBe(403);
    expect(await tdb.db.apiToken.count({ where: { orgId: a.org.id, name: "csrf" } })).toBe(0);
  });
});

describe("every REST route", () => {
  function concretePath(template: string, org: string) {
    return template.replace("{org}", org).replace(/\{\w+\}/g, "c0000000000000000000000x");
  }

  it("maps onto an existing procedure and is in the OpenAPI document", async () => {
    const procedures = (appRouter._def as unknown as { procedures: Record<string, unknown> }).procedures;
    const doc = await json(await rest("GET", "/openapi.json"));
    for (const route of REST_ROUTES) {
      expect(procedures, route.path).toHaveProperty([route.procedure]);
      expect(
        doc["paths"][route.path][route.method.toLowerCase()],
        `${route.method} ${route.path}`,
      ).toBeDefined();
    }
    expect(doc["openapi"]).toBe("3.1.0");
    // The body cap and the generic 500 are part of the contract.
    expect(Object.keys(doc["paths"]["/orgs/{org}/studies"]["post"]["responses"])).toEqual(
      expect.arrayContaining(["413", "429", "500"]),
    );
    expect(doc["paths"]["/orgs/{org}/studies"]["get"]["responses"]).not.toHaveProperty("413");
  });

  it.each(REST_ROUTES.map((r) => [r.method, r.path] as const))(
    "%s %s: another org is 404 for its members' tokens and sessions; no credentials is 401",
    async (method, template) => {
      const token = await seedToken(tdb.db, {
        orgId: a.org.id,
        userId: a.users.OWNER.id,
        scopes: ALL_SCOPES,
      });
      const path = concretePath(template, b.org.slug);
      const body = method === "POST" ? {} : undefined;
      const withToken = await rest(method, path, { token: token.token, ...(body ? { body } : {}) });
      expect(withToken.status).toBe(404);
      expect((await json(withToken))["error"]["code"]).toBe("NOT_FOUND");
      const withSession = await rest(method, path, { session: a.users.OWNER.id, ...(body ? { body } : {}) });
      expect(withSession.status).toBe(404);
      const anonymous = await rest(method, path, body ? { body } : {});
      expect(anonymous.status).toBe(401);
    },
  );
});

describe("studies through REST", () => {
  it("create, list, get, trials, export CSV, JSON and Optuna journal", async () => {
    const t = await seedToken(tdb.db, { orgId: a.org.id, userId: a.users.MEMBER.id, scopes: ALL_SCOPES });
    const created = await rest("POST", `/orgs/${a.org.slug}/studies`, {
      token: t.token,
      body: {
        name: "rest study",
        replicas: 2,
        trials: 2,
        parallelism: 1,
        searchSpace: {
          learning_rate: { type: "float", low: 0.001, high: 0.1, log: true },
          activation: { type: "categorical", choices: ["tanh", "relu"] },
        },
      },
    });
    expect(created.status).toBe(201);
    const { id } = await json(created);
    const list = await json(await rest("GET", `/orgs/${a.org.slug}/studies`, { token: t.token }));
    expect(list["items"].map((s: { id: string }) => s.id)).toContain(id);
    expect((await rest("GET", `/orgs/${a.org.slug}/studies/${id}`, { token: t.token })).status).toBe(200);
    const trials = await json(
      await rest("GET", `/orgs/${a.org.slug}/studies/${id}/trials`, { token: t.token }),
    );
    expect(trials["items"]).toHaveLength(1);
    const trial = trials["items"][0];
    // Finish the trial as a runner would, then export.
    const start = new Date("2026-01-01T10:00:00.000Z");
    await tdb.db.trial.updateMany({
      where: { id: trial.id, orgId: a.org.id },
      data: { state: "COMPLETE", startedAt: start, finishedAt: new Date(start.getTime() + 62_500) },
    });
    await tdb.db.trialResult.create({
      data: {
        trialId: trial.id,
        orgId: a.org.id,
        value: 1.25,
        L1: 1.25,
        L2: 1.5,
        L3: 1.75,
        phi2: 0.1,
        epochs: 10,
        backend: "cpu",
        durationSeconds: 62.5,
      },
    });
    const csv = await rest("GET", `/orgs/${a.org.slug}/studies/${id}/export?format=csv`, { token: t.token });
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toContain("text/csv");
    const [header, row] = (await csv.text()).trim().split("\n");
    expect(header).toBe(
      "number,value,datetime_start,datetime_complete,duration,params_activation,params_learning_rate,user_attrs_L1,user_attrs_L2,user_attrs_L3,user_attrs_phi2,state",
    );
    expect(row).toMatch(
      /^0,1\.25,2026-01-01 10:00:00\.000000,2026-01-01 10:01:02\.500000,0 days 00:01:02\.500000,(tanh|relu),[\d.e-]+,1\.25,1\.5,1\.75,0\.1,COMPLETE$/,
    );
    const exported = await json(
      await rest("GET", `/orgs/${a.org.slug}/studies/${id}/export?format=json`, { token: t.token }),
    );
    expect(exported["distributions"]["learning_rate"]).toEqual({
      name: "FloatDistribution",
      attributes: { step: null, low: 0.001, high: 0.1, log: true },
    });
    expect(exported["distributions"]["activation"]["name"]).toBe("CategoricalDistribution");
    expect(exported["trials"][0]).toMatchObject({
      number: 0,
      state: "COMPLETE",
      value: 1.25,
      values: [1.25],
    });
    // format=optuna: Optuna's JournalStorage file, one JSON operation a line (optuna.test.ts opens it).
    const journal = await rest("GET", `/orgs/${a.org.slug}/studies/${id}/export?format=optuna`, {
      token: t.token,
    });
    expect(journal.status).toBe(200);
    expect(journal.headers.get("content-type")).toContain("application/x-ndjson");
    expect(journal.headers.get("content-disposition")).toMatch(/-optuna\.log"$/);
    const ops = (await journal.text())
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(ops.at(-1)).toMatchObject({ op_code: 4, state: 1, value: 1.25 });
    const unknownFormat = await rest("GET", `/orgs/${a.org.slug}/studies/${id}/export?format=sqlite`, {
      token: t.token,
    });
    expect(unknownFormat.status).toBe(400);
    expect((await json(unknownFormat))["error"]["fieldErrors"]["format"]).toContain(
      "format must be one of csv, json, optuna",
    );
    // exports:read is its own scope.
    const noExport = await seedToken(tdb.db, {
      orgId: a.org.id,
      userId: a.users.MEMBER.id,
      scopes: ["studies:read"],
    });
    expect(
      (await rest("GET", `/orgs/${a.org.slug}/studies/${id}/export`, { token: noExport.token })).status,
    ).toBe(403);
  });

  it("pause, resume, add trials, clone and cancel through REST", async () => {
    const t = await seedToken(tdb.db, { orgId: a.org.id, userId: a.users.MEMBER.id, scopes: ALL_SCOPES });
    const base = `/orgs/${a.org.slug}/studies`;
    const { id } = await json(
      await rest("POST", base, { token: t.token, body: { name: "ctl", replicas: 2, trials: 2 } }),
    );
    const pause = await rest("POST", `${base}/${id}/pause`, { token: t.token });
    expect(pause.status).toBe(200);
    expect((await json(pause))["state"]).toBe("PAUSED");
    expect((await json(await rest("POST", `${base}/${id}/resume`, { token: t.token })))["state"]).not.toBe(
      "PAUSED",
    );
    const more = await json(
      await rest("POST", `${base}/${id}/add-trials`, { token: t.token, body: { count: 3 } }),
    );
    expect(more["maxTrials"]).toBe(5);
    const badCount = await rest("POST", `${base}/${id}/add-trials`, { token: t.token, body: { count: 0 } });
    expect((await json(badCount))["error"]["fieldErrors"]).toHaveProperty("count");
    const clone = await rest("POST", `${base}/${id}/clone`, { token: t.token, body: { name: "ctl copy" } });
    expect(clone.status).toBe(201);
    expect((await json(await rest("POST", `${base}/${id}/cancel`, { token: t.token })))["state"]).toBe(
      "CANCELLED",
    );
    const readOnly = await seedToken(tdb.db, {
      orgId: a.org.id,
      userId: a.users.MEMBER.id,
      scopes: ["studies:read"],
    });
    expect((await rest("POST", `${base}/${id}/pause`, { token: readOnly.token })).status).toBe(403);
  });
});

describe("datasets through REST", () => {
  it("a dataset over the points limit answers 400 naming csv; a correlated one is accepted", async () => {
    const t = await seedToken(tdb.db, { orgId: a.org.id, userId: a.users.MEMBER.id, scopes: ALL_SCOPES });
    const path = `/orgs/${a.org.slug}/datasets`;
    const csv = (rows: number) =>
      ["x,y,dy", ...Array.from({ length: rows }, (_, i) => `${i},1,1`)].join("\n");
    const huge = await rest("POST", path, {
      token: t.token,
      body: { format: "csv", name: "huge", csv: csv(900_000), inputs: ["x"], targets: ["y"], errors: ["dy"] },
    });
    expect(huge.status).toBe(400);
    expect((await json(huge))["error"]["fieldErrors"]["csv"]).toMatch(/over the limit of 100000 points/);
    const ok = await rest("POST", path, {
      token: t.token,
      body: {
        format: "csv",
        name: "correlated",
        csv: csv(3_000),
        inputs: ["x"],
        targets: ["y"],
        errors: ["dy"],
        normalisation: 0.01,
      },
    });
    expect(ok.status).toBe(201);
    expect((await json(ok))["nPoints"]).toBe(3_000);
  }, 120_000);
});

describe("quotas and limits through REST", () => {
  it("a study over a limit is 400 naming the field; time budgets are set and in the OpenAPI body", async () => {
    const t = await seedToken(tdb.db, { orgId: a.org.id, userId: a.users.MEMBER.id, scopes: ALL_SCOPES });
    const over = await rest("POST", `/orgs/${a.org.slug}/studies`, {
      token: t.token,
      body: { name: "huge", replicas: 2000, trials: 1000, maxEpochs: 100000, parallelism: 8 },
    });
    expect(over.status).toBe(400);
    const error = (await json(over))["error"];
    expect(error["fieldErrors"]["replicas"]).toContain("replicas × folds × maxEpochs × parameters");
    expect(error["fieldErrors"]["replicas"]).toContain("HENS_TRIAL_MAX_COMPUTE");
    const budgeted = await rest("POST", `/orgs/${a.org.slug}/studies`, {
      token: t.token,
      body: {
        name: "budgeted",
        replicas: 2,
        trials: 2,
        maxWallSeconds: 600,
        maxGpuSeconds: 300,
        maxTrialSeconds: 30,
      },
    });
    expect(budgeted.status).toBe(201);
    const study = await tdb.db.study.findFirstOrThrow({ where: { orgId: a.org.id, name: "budgeted" } });
    expect([study.maxWallSeconds, study.maxGpuSeconds, study.maxTrialSeconds]).toEqual([600, 300, 30]);
    const doc = await json(await rest("GET", "/openapi.json"));
    const body =
      doc["paths"]["/orgs/{org}/studies"]["post"]["requestBody"]["content"]["application/json"]["schema"];
    expect(Object.keys(body["properties"])).toEqual(
      expect.arrayContaining(["maxWallSeconds", "maxGpuSeconds", "maxTrialSeconds"]),
    );
  });
});
