import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedStudy } from "./fixtures.test-helpers.ts";
import { createTestDatabase, type TestDatabase } from "./testing.ts";
import {
  type AttemptRecord,
  acquireTrial,
  claimTrial,
  claimWaitingTrial,
  completeTrial,
  failTrial,
  heartbeatTrial,
  NonFiniteResultError,
  pruneTrial,
  reapStaleTrials,
  reportIntermediateValue,
  type TrialResultData,
} from "./trials.ts";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase({ max: 8 });
});
afterAll(async () => {
  await t?.drop();
});

const result: TrialResultData = {
  value: 1.2,
  L1: 1.2,
  L2: 1.5,
  L3: 0.9,
  phi2: 0.1,
  foldChi2: [1.1, 1.3],
  foldPhi2: [0.1, 0.1],
  foldCentralChi2: [1.0, 1.2],
  replicaChi2: [1, 2, 3],
  epochs: 10,
  backend: "cpu",
  durationSeconds: 2,
};

describe("claimTrial", () => {
  it("moves WAITING→RUNNING once; a second delivery of the same attempt gets null", async () => {
    const { trials, runner } = await seedStudy(t.db);
    const trial = trials[0]!;
    const claims = await Promise.all([
      claimTrial(t.db, trial.id, 1, runner.id),
      claimTrial(t.db, trial.id, 1, runner.id),
      claimTrial(t.db, trial.id, 1, runner.id),
    ]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(claims.find(Boolean)).toMatchObject({ state: "RUNNING", attempt: 1, runnerId: runner.id });
  });

  it("is fenced by attempt", async () => {
    const { trials, runner } = await seedStudy(t.db);
    expect(await claimTrial(t.db, trials[0]!.id, 2, runner.id)).toBeNull();
    expect(await claimTrial(t.db, trials[0]!.id, 1, runner.id)).not.toBeNull();
  });
});

describe("writes by the holding attempt only", () => {
  it("completes once, with its result; stale attempts write nothing", async () => {
    const { trials, runner } = await seedStudy(t.db);
    const id = trials[0]!.id;
    await claimTrial(t.db, id, 1, runner.id);
    expect(await heartbeatTrial(t.db, id, 1)).toBe(true);
    expect(await reportIntermediateValue(t.db, id, 1, 0, 3.5)).toBe(true);
    expect(await reportIntermediateValue(t.db, id, 2, 1, 3.4)).toBe(false);
    expect(await completeTrial(t.db, id, 2, result)).toBe(false);
    expect(await t.db.trialResult.findUnique({ where: { trialId: id } })).toBeNull();

    expect(await completeTrial(t.db, id, 1, result)).toBe(true);
    expect(await completeTrial(t.db, id, 1, { ...result, value: 99 })).toBe(false);
    expect(await heartbeatTrial(t.db, id, 1)).toBe(false);
    const done = await t.db.trial.findUniqueOrThrow({ where: { id }, include: { result: true } });
    expect(done).toMatchObject({ state: "COMPLETE", result: { value: 1.2, replicaChi2: [1, 2, 3] } });
  });

  it("stores every result field in the one-statement completion (arrays, nulls, predictions JSON)", async () => {
    const { trials, runner } = await seedStudy(t.db, 2);
    const [a, b] = [trials[0]!.id, trials[1]!.id];
    const predictions = { x: [0.1, 0.2], xLabel: "x", flavours: [{ name: "g", central: [1, 2] }] };
    await claimTrial(t.db, a, 1, runner.id);
    const full = {
      ...result,
      closureBias: 0.25,
      closureVariance: null,
      foldPhi2: { set: [0.5] },
      predictions,
    };
    expect(await completeTrial(t.db, a, 1, full)).toBe(true);
    expect(await t.db.trialResult.findUniqueOrThrow({ where: { trialId: a } })).toMatchObject({
      value: 1.2,
      L2: 1.5,
      foldChi2: [1.1, 1.3],
      foldPhi2: [0.5],
      closureBias: 0.25,
      closureVariance: null,
      epochs: 10,
      backend: "cpu",
      predictions,
    });
    await claimTrial(t.db, b, 1, runner.id);
    expect(await pruneTrial(t.db, b, 1, { ...result, replicaChi2: [] })).toBe(true);
    const pruned = await t.db.trial.findUniqueOrThrow({ where: { id: b }, include: { result: true } });
    expect(pruned).toMatchObject({ state: "PRUNED", result: { replicaChi2: [], predictions: null } });
  });

  it("stores L3 = 1e12 (zero spread) exactly; refuses a non-finite loss by name and writes nothing", async () => {
    const { trials, runner } = await seedStudy(t.db, 2);
    const [a, b] = [trials[0]!.id, trials[1]!.id];
    await claimTrial(t.db, a, 1, runner.id);
    // A one-replica trial: phi2 = 0 and L3 at its documented maximum.
    const oneReplica = { ...result, value: 1e12, L3: 1e12, phi2: 0, replicaChi2: [1.5] };
    expect(await completeTrial(t.db, a, 1, oneReplica)).toBe(true);
    const stored = await t.db.trialResult.findUniqueOrThrow({ where: { trialId: a } });
    expect(stored).toMatchObject({ value: 1e12, L3: 1e12, phi2: 0, replicaChi2: [1.5] });
    expect(JSON.parse(JSON.stringify(stored))).toMatchObject({ L3: 1e12 });

    await claimTrial(t.db, b, 1, runner.id);
    for (const [field, bad] of [
      ["L3", Number.POSITIVE_INFINITY],
      ["L1", Number.NaN],
      ["phi2", Number.NEGATIVE_INFINITY],
      ["closureBias", Number.NaN],
    ] as const) {
      const write = completeTrial(t.db, b, 1, { ...result, [field]: bad });
      await expect(write).rejects.toThrow(NonFiniteResultError);
      await expect(write).rejects.toThrow(
        `result.${field} is ${bad}: a trial's losses must be finite numbers`,
      );
    }
    // A NULL inside a Float[] would make the row unreadable: refused with the entry named.
    await expect(completeTrial(t.db, b, 1, { ...result, replicaChi2: [1, Number.NaN] })).rejects.toThrow(
      "result.replicaChi2[1] is NaN",
    );
    // Nothing was written: the trial is still held by its attempt, with no result row.
    expect(await t.db.trial.findUniqueOrThrow({ where: { id: b } })).toMatchObject({ state: "RUNNING" });
    expect(await t.db.trialResult.findUnique({ where: { trialId: b } })).toBeNull();
  });

  it("failTrial with retry hands the trial back as the next attempt, then fails after maxAttempts", async () => {
    const { trials, runner } = await seedStudy(t.db);
    const id = trials[0]!.id;
    for (const attempt of [1, 2]) {
      expect(await claimTrial(t.db, id, attempt, runner.id)).not.toBeNull();
      expect(await failTrial(t.db, id, attempt, `oom ${attempt}`, { retry: true })).toBe("WAITING");
    }
    expect(await claimTrial(t.db, id, 3, runner.id)).not.toBeNull();
    expect(await failTrial(t.db, id, 3, "oom 3", { retry: true })).toBe("FAIL");
    expect(await failTrial(t.db, id, 3, "again")).toBeNull();
    const failed = await t.db.trial.findUniqueOrThrow({ where: { id } });
    expect(failed).toMatchObject({ state: "FAIL", attempt: 3, error: "oom 3" });
    expect((failed.attempts as unknown as AttemptRecord[]).map((a) => [a.attempt, a.outcome])).toEqual([
      [1, "released"],
      [2, "released"],
      [3, "released"],
    ]);
  });
});

describe("reapStaleTrials", () => {
  it("returns a trial with a lapsed heartbeat to WAITING as the next attempt, with history", async () => {
    const { trials, runner, study } = await seedStudy(t.db, 2);
    const [stale, fresh] = [trials[0]!, trials[1]!];
    const now = new Date("2030-01-01T00:00:00Z");
    await claimTrial(t.db, stale.id, 1, runner.id, new Date(now.getTime() - 60_000));
    await claimTrial(t.db, fresh.id, 1, runner.id, new Date(now.getTime() - 5_000));

    // (Trials left RUNNING by earlier tests in this database are stale at `now` too.)
    const reaped = (await reapStaleTrials(t.db, 30_000, now)).filter((r) => r.studyId === study.id);
    expect(reaped).toEqual([expect.objectContaining({ id: stale.id, state: "WAITING", attempt: 2 })]);
    const row = await t.db.trial.findUniqueOrThrow({ where: { id: stale.id } });
    expect(row).toMatchObject({ state: "WAITING", attempt: 2, runnerId: null, heartbeatAt: null });
    expect(row.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        outcome: "stale",
        runnerId: runner.id,
        endedAt: now.toISOString(),
      }),
    ]);
    expect(await t.db.trial.findUniqueOrThrow({ where: { id: fresh.id } })).toMatchObject({
      state: "RUNNING",
    });

    // The old attempt can no longer write; the new one claims and finishes exactly once.
    expect(await completeTrial(t.db, stale.id, 1, result)).toBe(false);
    expect(await claimTrial(t.db, stale.id, 2, runner.id)).not.toBeNull();
    expect(await completeTrial(t.db, stale.id, 2, result)).toBe(true);
  });

  it("fails the trial once maxAttempts is used up", async () => {
    const { trials, runner } = await seedStudy(t.db);
    const id = trials[0]!.id;
    await t.db.trial.update({ where: { id }, data: { maxAttempts: 1 } });
    await claimTrial(t.db, id, 1, runner.id, new Date(Date.now() - 120_000));
    expect(await reapStaleTrials(t.db, 30_000)).toEqual(
      expect.arrayContaining([expect.objectContaining({ id, state: "FAIL", attempt: 1 })]),
    );
  });

  it("two reapers racing on one stale trial: one transition, one retry", async () => {
    const { trials, runner } = await seedStudy(t.db);
    const id = trials[0]!.id;
    await claimTrial(t.db, id, 1, runner.id, new Date(Date.now() - 120_000));
    const [a, b] = await Promise.all([
      reapStaleTrials(t.db, 30_000, new Date(), { trialId: id }),
      reapStaleTrials(t.db, 30_000, new Date(), { trialId: id }),
    ]);
    expect(a.length + b.length).toBe(1);
    const row = await t.db.trial.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ state: "WAITING", attempt: 2 });
    expect(row.attempts).toHaveLength(1);
  });

  it("many reapers racing over many stale trials: each trial moves exactly once", async () => {
    const { trials, runner, study } = await seedStudy(t.db, 20);
    const old = new Date(Date.now() - 120_000);
    await Promise.all(trials.map((trial) => claimTrial(t.db, trial.id, 1, runner.id, old)));
    const runs = await Promise.all(Array.from({ length: 6 }, () => reapStaleTrials(t.db, 30_000)));
    const reapedIds = runs.flat().map((r) => r.id);
    expect(new Set(reapedIds).size).toBe(reapedIds.length);
    const rows = await t.db.trial.findMany({ where: { studyId: study.id } });
    expect(rows.every((r) => r.state === "WAITING" && r.attempt === 2)).toBe(true);
    expect(rows.every((r) => (r.attempts as unknown[]).length === 1)).toBe(true);
  });
});

describe("acquireTrial (a redelivered job)", () => {
  it("claims a WAITING trial, drops a duplicate while it is held, takes over once it is stale", async () => {
    const { trials, runner } = await seedStudy(t.db);
    const id = trials[0]!.id;
    const start = new Date(Date.now() - 100_000);
    expect(await acquireTrial(t.db, id, runner.id, 30_000, start)).toMatchObject({
      acquired: true,
      trial: { attempt: 1 },
    });
    expect(await acquireTrial(t.db, id, runner.id, 30_000, new Date(start.getTime() + 10_000))).toEqual({
      acquired: false,
      reason: "held",
    });
    // The first runner died: its heartbeat stopped at `start`; two redeliveries race to take over.
    const later = new Date(start.getTime() + 60_000);
    const outcomes = await Promise.all([
      acquireTrial(t.db, id, runner.id, 30_000, later),
      acquireTrial(t.db, id, runner.id, 30_000, later),
    ]);
    expect(outcomes.filter((o) => o.acquired)).toEqual([
      expect.objectContaining({ trial: expect.objectContaining({ attempt: 2, state: "RUNNING" }) }),
    ]);
    expect(await completeTrial(t.db, id, 2, result)).toBe(true);
    expect(await acquireTrial(t.db, id, runner.id, 30_000)).toEqual({ acquired: false, reason: "finished" });
    const row = await t.db.trial.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ state: "COMPLETE", attempt: 2 });
    expect(row.attempts).toHaveLength(1);
  });
});

describe("claimWaitingTrial (the dispatch fast path)", () => {
  it("claims once among racing deliveries, only in the trial's own org, only while the study is active", async () => {
    const { trials, runner, org, study } = await seedStudy(t.db, 2);
    const [a, b] = [trials[0]!, trials[1]!];
    expect(await claimWaitingTrial(t.db, a.id, "another-org", runner.id)).toBeNull();
    const claims = await Promise.all([1, 2, 3].map(() => claimWaitingTrial(t.db, a.id, org.id, runner.id)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(claims.find(Boolean)).toMatchObject({
      id: a.id,
      state: "RUNNING",
      attempt: 1,
      runnerId: runner.id,
    });
    await t.db.study.update({ where: { id: study.id }, data: { state: "PAUSED" } });
    expect(await claimWaitingTrial(t.db, b.id, org.id, runner.id)).toBeNull();
    expect((await t.db.trial.findUniqueOrThrow({ where: { id: b.id } })).state).toBe("WAITING");
    await t.db.study.update({ where: { id: study.id }, data: { state: "RUNNING" } });
    expect(await claimWaitingTrial(t.db, b.id, org.id, runner.id)).toMatchObject({ state: "RUNNING" });
  });

  it("with an attempt, claims only that attempt (a packing runner's companion read before a retry)", async () => {
    const { trials, runner, org } = await seedStudy(t.db, 1);
    const a = trials[0]!;
    // the companion was read at attempt 1, then went back to WAITING as attempt 2
    await t.db.trial.update({ where: { id: a.id }, data: { attempt: 2 } });
    expect(await claimWaitingTrial(t.db, a.id, org.id, runner.id, new Date(), 1)).toBeNull();
    expect((await t.db.trial.findUniqueOrThrow({ where: { id: a.id } })).state).toBe("WAITING");
    const claims = await Promise.all(
      [1, 2, 3].map(() => claimWaitingTrial(t.db, a.id, org.id, runner.id, new Date(), 2)),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(claims.find(Boolean)).toMatchObject({ id: a.id, state: "RUNNING", attempt: 2 });
  });
});
