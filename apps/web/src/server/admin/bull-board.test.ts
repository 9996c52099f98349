// bull-board at /admin/bull end to end without a server: Request in, Response out, on real BullMQ
// queues on both backends (Redis, and BullMQ's PostgreSQL backend). Sessions are stood in for by the
// session object auth() would return; the platform-admin check itself is the real one.
import { randomBytes } from "node:crypto";
import { createTestDatabase, type TestDatabase, testRedisUrl } from "@hyperensemble/db/testing";
import { createQueueConnection, enqueueTrial, type TrialQueue, trialQueue } from "@hyperensemble/queue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { platformAdminAccess, type SessionLike } from "../auth/platform-admin";
import { type BullBoardHandler, createReadOnlyBullBoard, handleBullBoardRequest } from "./bull-board";
import { renderTemplate } from "./web-server-adapter";

const ADMINS = "ops@example.test, sre@example.test";
const ADMIN: SessionLike = { user: { email: "Ops@Example.test" } };
const MEMBER: SessionLike = { user: { email: "member@example.test" } };
const BASE = "http://hens.test/admin/bull";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are probed field by field in assertions
type Json = Record<string, any>;

describe.each(["redis", "postgres"] as const)("bull-board on the %s backend", (backend) => {
  const name = `bb-${backend}-${randomBytes(4).toString("hex")}`;
  let tdb: TestDatabase | undefined;
  let queue: TrialQueue;
  let board: BullBoardHandler;
  let boardsOpened = 0;

  beforeAll(async () => {
    const namespace = `hens_bb_${randomBytes(4).toString("hex")}`;
    if (backend === "redis") {
      queue = trialQueue(createQueueConnection({ redisUrl: testRedisUrl(), namespace }), { name });
    } else {
      tdb = await createTestDatabase();
      queue = trialQueue(createQueueConnection({ redisUrl: "", databaseUrl: tdb.url, namespace }), { name });
    }
    board = createReadOnlyBullBoard([queue]);
    for (const n of [1, 2, 3]) await enqueueTrial(queue, { trialId: `t-${n}`, studyId: "s-1", orgId: "o-1" });
    await enqueueTrial(queue, { trialId: "t-prio", studyId: "s-1", orgId: "o-2" }, { priority: 2 });
    await enqueueTrial(queue, { trialId: "t-later", studyId: "s-2", orgId: "o-2" }, { delay: 3_600_000 });
  });
  afterAll(async () => {
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await tdb?.drop();
  });

  function call(method: string, path: string, session: SessionLike | null, body?: unknown) {
    const req = new Request(`${BASE}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
    });
    return handleBullBoardRequest(req, {
      access: async () => platformAdminAccess(session, ADMINS),
      board: () => {
        boardsOpened++;
        return board;
      },
    });
  }

  async function counts(): Promise<Json> {
    const res = await call(
      "GET",
      `/api/queues?activeQueue=${name}&status=latest&page=1&jobsPerPage=10`,
      ADMIN,
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    const mine = (body["queues"] as Json[]).find((q) => q["name"] === name);
    expect(mine).toBeDefined();
    return mine as Json;
  }

  it("serves a platform admin the bull-board UI under /admin/bull, with its assets", async () => {
    for (const path of ["", "/", `/queue/${name}`, `/queue/${name}/t-1`]) {
      const res = await call("GET", path, ADMIN);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/html");
      const html = await res.text();
      expect(html).toContain('<base href="/admin/bull/" />');
      expect(html).toContain("<title>HyperEnsemble queues</title>");
      expect(html).toContain('id="__UI_CONFIG__"');
      expect(html).not.toContain("<%");
    }
    const html = await (await call("GET", "", ADMIN)).text();
    const scripts = [...html.matchAll(/src="(static\/js\/[^"]+\.js)"/g)].map((m) => m[1] as string);
    const styles = [...html.matchAll(/href="(static\/css\/[^"]+\.css)"/g)].map((m) => m[1] as string);
    expect(scripts.length).toBeGreaterThan(0);
    expect(styles.length).toBeGreaterThan(0);
    for (const asset of [...scripts, ...styles]) {
      const res = await call("GET", `/${asset}`, ADMIN);
      expect(res.status, asset).toBe(200);
      expect(res.headers.get("content-type")).toMatch(asset.endsWith(".js") ? /javascript/ : /text\/css/);
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(100);
    }
    const locale = await call("GET", "/static/locales/en-US/messages.json", ADMIN);
    expect(locale.status).toBe(200);
    expect(await locale.json()).toBeTypeOf("object");
    // Nothing outside the UI's static folder.
    expect((await call("GET", "/static/..%2f..%2fpackage.json", ADMIN)).status).toBe(404);
    expect((await call("GET", "/static/%2e%2e/index.ejs", ADMIN)).status).toBe(404);
    expect((await call("GET", "/no-such-page", ADMIN)).status).toBe(404);
  });

  it("lists our queue through bull-board's API with the right counts and jobs, read-only", async () => {
    const q = await counts();
    expect(q["counts"]).toMatchObject({
      waiting: 3,
      prioritized: 1,
      delayed: 1,
      active: 0,
      completed: 0,
      failed: 0,
    });
    expect(q["readOnlyMode"]).toBe(true);
    expect(q["allowRetries"]).toBe(false);
    expect(q["isPaused"]).toBe(false);
    const trialIds = (q["jobs"] as Json[]).map((j) => j["data"]["trialId"]).sort();
    expect(trialIds).toEqual(["t-1", "t-2", "t-3", "t-later", "t-prio"]);

    const job = await call("GET", `/api/queues/${name}/t-prio`, ADMIN);
    expect(job.status).toBe(200);
    expect(((await job.json()) as Json)["job"]).toMatchObject({ id: "t-prio", data: { orgId: "o-2" } });
    expect((await call("GET", `/api/queues/no-such-queue/t-1`, ADMIN)).status).toBe(404);

    const stats = await call("GET", "/api/redis/stats", ADMIN);
    expect(stats.status).toBe(200);
    expect(((await stats.json()) as Json)["backend"] ?? "redis").toBe(backend);
  });

  it("answers every read route of the UI on this backend", async () => {
    for (const path of [
      "/api/job-schedulers",
      `/api/queues/${name}/metrics`,
      `/api/queues/${name}/default-job-options`,
      `/api/queues/${name}/workers`,
      `/api/queues/${name}/rate-limit`,
      `/api/queues/${name}/job-data-schema`,
      `/api/queues/${name}/t-1/logs`,
      `/api/queues/${name}/t-1/flow`,
    ]) {
      const res = await call("GET", path, ADMIN);
      expect(res.status, `${path}: ${res.status === 200 ? "" : await res.clone().text()}`).toBe(200);
      expect(res.headers.get("content-type")).toContain("application/json");
    }
  });

  it("refuses anonymous requests and signed-in non-admins on the page, the API and the assets", async () => {
    const before = boardsOpened;
    for (const path of ["", `/queue/${name}`]) {
      const anonymous = await call("GET", path, null);
      expect(anonymous.status).toBe(307);
      expect(anonymous.headers.get("location")).toBe("/signin");
      const member = await call("GET", path, MEMBER);
      expect(member.status).toBe(403);
      expect(await member.text()).not.toContain(name);
    }
    for (const path of [
      "/api/queues",
      `/api/queues/${name}/t-1`,
      "/api/redis/stats",
      "/static/favicon.ico",
    ]) {
      const anonymous = await call("GET", path, null);
      expect(anonymous.status, path).toBe(401);
      expect(await anonymous.text()).not.toContain(name);
      const member = await call("GET", path, MEMBER);
      expect(member.status, path).toBe(403);
      expect(await member.text()).not.toContain(name);
    }
    // Writes from non-admins are refused the same way.
    expect((await call("PUT", `/api/queues/${name}/pause`, null)).status).toBe(401);
    expect((await call("PUT", `/api/queues/${name}/pause`, MEMBER)).status).toBe(403);
    // None of these requests reached bull-board.
    expect(boardsOpened).toBe(before);
  });

  it("refuses every write, even from an admin, and leaves the queue unchanged", async () => {
    const before = await counts();
    const writes: [string, string, unknown?][] = [
      ["PUT", `/api/queues/${name}/pause`],
      ["PUT", "/api/queues/pause"],
      ["PUT", `/api/queues/${name}/clean/delayed`],
      ["PUT", `/api/queues/${name}/retry/failed`],
      ["PUT", `/api/queues/${name}/promote`],
      ["PUT", `/api/queues/${name}/empty`],
      ["PUT", `/api/queues/${name}/obliterate`],
      ["PUT", `/api/queues/${name}/t-later/promote`],
      ["PUT", `/api/queues/${name}/t-1/clean`],
      ["PATCH", `/api/queues/${name}/t-1/update-data`, { trialId: "x" }],
      [
        "POST",
        `/api/queues/${name}/add`,
        { name: "trial", data: { trialId: "t-new", studyId: "s", orgId: "o" } },
      ],
      ["DELETE", `/api/queues/${name}/t-1`],
      ["POST", ""],
    ];
    for (const [method, path, body] of writes) {
      const res = await call(method, path, ADMIN, body);
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get("allow")).toBe("GET, HEAD");
    }
    // The second lock: bull-board itself, past our method check, refuses its mutating routes on a
    // read-only queue.
    for (const [method, path] of [
      ["PUT", `/api/queues/${name}/pause`],
      ["PUT", `/api/queues/${name}/clean/delayed`],
      ["PUT", `/api/queues/${name}/t-later/promote`],
    ] as const) {
      const res = await board.fetch(new Request(`${BASE}${path}`, { method }));
      expect(res.status, `bull-board ${method} ${path}`).toBe(405);
    }
    const after = await counts();
    expect(after["counts"]).toEqual(before["counts"]);
    expect(after["isPaused"]).toBe(false);
    expect(await queue.isPaused()).toBe(false);
    expect(await queue.getJobState("t-later")).toBe("delayed");
    expect(await queue.getJob("t-new")).toBeFalsy();
  });
});

describe("renderTemplate (the part of EJS that @bull-board/ui's index.ejs uses)", () => {
  it("escapes <%= %>, passes <%- %> through and refuses any other tag", () => {
    expect(renderTemplate('<a title="<%= t %>"><%- raw %></a>', { t: `"<x>&'`, raw: "<b>" })).toBe(
      '<a title="&#34;&lt;x&gt;&amp;&#39;"><b></a>',
    );
    expect(() => renderTemplate("<% if (x) { %>", {})).toThrow(/unsupported tag/);
  });
});
