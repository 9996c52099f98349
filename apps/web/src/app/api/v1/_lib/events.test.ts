// Push on REST: server-sent events from the persisted event log. A reader that resumes with
// Last-Event-ID after the web server stops and starts again gets every event it missed, once, in
// order; concurrent writers cannot slip an older id past a reader (ids follow commit order).
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
import { readSse, type SseEvent } from "./sse-client.test-helpers";
import { startTestServer } from "./test-server";

let tdb: TestDatabase;
let a: SeededOrg;
let b: SeededOrg;
const limiter = new TokenBucketLimiter({ capacity: 10_000, refillPerSecond: 1000 });

async function createContext(req: Request): Promise<Context> {
  const principal = await authenticateBearer(tdb.db, req, { limiter });
  return { ...requestContext(tdb.db, principal, new RecordingEnqueuer()), req };
}

async function seedStudy(org: SeededOrg, trials: number) {
  const study = await tdb.db.study.create({
    data: {
      orgId: org.org.id,
      ownerId: org.users.OWNER.id,
      name: `events-${trials}`,
      task: { kind: "closure", level: 0 },
      searchSpace: {},
      ensemble: { replicas: 2 },
      training: {},
      seed: 1,
      maxTrials: trials,
    },
  });
  for (let n = 0; n < trials; n++)
    await tdb.db.trial.create({ data: { orgId: org.org.id, studyId: study.id, number: n, params: { n } } });
  const rows = await tdb.db.trial.findMany({
    where: { orgId: org.org.id, studyId: study.id },
    orderBy: { number: "asc" },
  });
  return { study, trials: rows };
}

/** What a runner does to one trial, each step its own commit (as the runner writes them). */
async function runTrial(orgId: string, trialId: string, end: "COMPLETE" | "PRUNED" | "FAIL", value: number) {
  await tdb.db.trial.updateMany({
    where: { id: trialId, orgId },
    data: { state: "RUNNING", startedAt: new Date() },
  });
  await tdb.db.intermediateValue.create({ data: { orgId, trialId, step: 1, value: value + 1, attempt: 1 } });
  // The result and the state change commit together: the completed event carries the value.
  await tdb.db.$transaction(async (tx) => {
    await tx.trial.updateMany({
      where: { id: trialId, orgId },
      data: { state: end, finishedAt: new Date(), ...(end === "FAIL" ? { error: "boom" } : {}) },
    });
    if (end === "COMPLETE")
      await tx.trialResult.create({
        data: {
          trialId,
          orgId,
          value,
          L1: value,
          L2: value,
          L3: value,
          phi2: 0.5,
          epochs: 3,
          backend: "cpu",
          durationSeconds: 1,
        },
      });
  });
}

function types(events: SseEvent[]) {
  return events.map(
    (e) => `${e.event}:${(JSON.parse(e.data) as { data: { number?: number } }).data.number ?? "-"}`,
  );
}

beforeAll(async () => {
  tdb = await createTestDatabase({ max: 12 });
  // The stream's LISTEN wake-up connects to the test database (the poll would do without it).
  process.env["DATABASE_URL"] = tdb.url;
  a = await seedOrg(tdb.db, "ev-a");
  b = await seedOrg(tdb.db, "ev-b");
});
afterAll(async () => {
  await tdb?.drop();
});

describe("GET /events (server-sent events)", () => {
  it("a reader resuming with Last-Event-ID misses no event across a web restart", async () => {
    const { token } = await seedToken(tdb.db, {
      orgId: a.org.id,
      userId: a.users.VIEWER.id,
      scopes: ["studies:read"],
    });
    const { study, trials } = await seedStudy(a, 3);
    const other = await seedStudy(b, 1); // another org's events never reach this reader
    const orgId = a.org.id;
    let server = await startTestServer({ createContext });
    const path = `/api/v1/orgs/${a.org.slug}/studies/${study.id}/events`;

    // A fresh reader starts at the head: first it is connected, then trial 0 runs.
    // Trial 0 runs only once the reader's stream is open (its start fixed), however loaded the machine.
    let opened!: () => void;
    const open = new Promise<void>((r) => {
      opened = r;
    });
    const first = readSse(`${server.url}${path}`, {
      token,
      until: (ev) => ev.some((e) => e.event === "trial.completed"),
      onOpen: opened,
    });
    await open;
    await runTrial(orgId, trials[0]!.id, "COMPLETE", 0.25);
    await runTrial(b.org.id, other.trials[0]!.id, "COMPLETE", 9);
    const seen = await first;
    expect(seen.status).toBe(200);
    expect(seen.contentType).toMatch(/^text\/event-stream/);
    expect(types(seen.events)).toEqual(["trial.started:0", "trial.reported:0", "trial.completed:0"]);
    const completed = JSON.parse(seen.events[2]!.data) as { data: Record<string, unknown>; studyId: string };
    expect(completed.studyId).toBe(study.id);
    expect(completed.data).toMatchObject({
      trialId: trials[0]!.id,
      number: 0,
      state: "COMPLETE",
      value: 0.25,
      phi2: 0.5,
    });

    // The web goes away; the study goes on; the web comes back on the same port.
    await server.stop();
    await runTrial(orgId, trials[1]!.id, "PRUNED", 0.5);
    await runTrial(orgId, trials[2]!.id, "FAIL", 0.75);
    await tdb.db.study.updateMany({ where: { id: study.id, orgId }, data: { state: "COMPLETED" } });
    server = await startTestServer({ createContext }, server.port);
    const resumed = await readSse(`${server.url}${path}`, {
      token,
      lastEventId: seen.events.at(-1)!.id,
      until: (ev) => ev.some((e) => e.event === "study.state"),
    });
    await server.stop();
    expect(types(resumed.events)).toEqual([
      "trial.started:1",
      "trial.reported:1",
      "trial.pruned:1",
      "trial.started:2",
      "trial.reported:2",
      "trial.failed:2",
      "study.state:-",
    ]);
    expect(JSON.parse(resumed.events.at(-1)!.data).data).toMatchObject({
      state: "COMPLETED",
      previous: "QUEUED",
    });
    // Together: exactly the log of this study after the reader connected, each once, ids increasing.
    const all = [...seen.events, ...resumed.events].map((e) => e.id);
    const log = await tdb.db.eventLog.findMany({
      where: { orgId, studyId: study.id, id: { gte: BigInt(all[0]!) } },
      orderBy: { id: "asc" },
    });
    expect(all).toEqual(log.map((r) => r.id.toString()));
    expect(new Set(all).size).toBe(all.length);
  });

  it("the org stream carries every study of the org and nothing of another org; ?after replays", async () => {
    const { token } = await seedToken(tdb.db, {
      orgId: a.org.id,
      userId: a.users.MEMBER.id,
      scopes: ["studies:read"],
    });
    const before = await tdb.db.eventLog.findFirst({ where: { orgId: a.org.id }, orderBy: { id: "desc" } });
    const s1 = await seedStudy(a, 1);
    const s2 = await seedStudy(a, 1);
    const foreign = await seedStudy(b, 1);
    await runTrial(b.org.id, foreign.trials[0]!.id, "COMPLETE", 1);
    await runTrial(a.org.id, s1.trials[0]!.id, "COMPLETE", 1);
    await runTrial(a.org.id, s2.trials[0]!.id, "COMPLETE", 2);
    const server = await startTestServer({ createContext });
    const replay = await readSse(`${server.url}/api/v1/orgs/${a.org.slug}/events?after=${before?.id ?? 0}`, {
      token,
      until: (ev) => ev.filter((e) => e.event === "trial.completed").length === 2,
    });
    // Another org's study, named through this org: NOT_FOUND, as everywhere.
    const foreignRes = await fetch(
      `${server.url}/api/v1/orgs/${a.org.slug}/studies/${foreign.study.id}/events`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    const noScope = await seedToken(tdb.db, {
      orgId: a.org.id,
      userId: a.users.MEMBER.id,
      scopes: ["exports:read"],
    });
    const forbidden = await fetch(`${server.url}/api/v1/orgs/${a.org.slug}/events`, {
      headers: { authorization: `Bearer ${noScope.token}` },
    });
    await server.stop();
    expect(foreignRes.status).toBe(404);
    expect(forbidden.status).toBe(403);
    const studies = new Set(replay.events.map((e) => (JSON.parse(e.data) as { studyId: string }).studyId));
    expect(studies).toEqual(new Set([s1.study.id, s2.study.id]));
    expect(replay.events.map((e) => e.event)).toEqual([
      "study.state",
      "study.state",
      "trial.started",
      "trial.reported",
      "trial.completed",
      "trial.started",
      "trial.reported",
      "trial.completed",
    ]);
  });

  it("ids follow commit order: a live reader under concurrent writers sees the whole log once", async () => {
    const { token } = await seedToken(tdb.db, {
      orgId: a.org.id,
      userId: a.users.OWNER.id,
      scopes: ["studies:read"],
    });
    const { study, trials } = await seedStudy(a, 12);
    const server = await startTestServer({ createContext });
    const path = `${server.url}/api/v1/orgs/${a.org.slug}/studies/${study.id}/events`;
    let opened!: () => void;
    const open = new Promise<void>((r) => {
      opened = r;
    });
    const reading = readSse(path, {
      token,
      until: (ev) => ev.filter((e) => e.event === "trial.completed").length === trials.length,
      timeoutMs: 60_000,
      onOpen: opened,
    });
    await open;
    // Long and short transactions interleave: an early id must not commit after a later one.
    await Promise.all(
      trials.map((t, i) =>
        tdb.db.$transaction(async (tx) => {
          await tx.trial.updateMany({ where: { id: t.id, orgId: a.org.id }, data: { state: "COMPLETE" } });
          await new Promise((r) => setTimeout(r, ((i * 37) % 11) * 15));
          await tx.trialResult.create({
            data: {
              trialId: t.id,
              orgId: a.org.id,
              value: i,
              L1: i,
              L2: i,
              L3: i,
              phi2: 0,
              epochs: 1,
              backend: "cpu",
              durationSeconds: 1,
            },
          });
        }),
      ),
    );
    const { events } = await reading;
    await server.stop();
    const log = await tdb.db.eventLog.findMany({
      where: { orgId: a.org.id, studyId: study.id, type: "trial.completed" },
      orderBy: { id: "asc" },
    });
    expect(events.map((e) => e.id)).toEqual(log.map((r) => r.id.toString()));
    // Each completed event saw its result, committed in the same transaction.
    expect(events.map((e) => JSON.parse(e.data).data.value).sort((x: number, y: number) => x - y)).toEqual(
      trials.map((_, i) => i),
    );
  });
});
