// Trial packing in the runner, on real Postgres and BullMQ/Redis with the real engine (cpu backend):
// a runner that claims a trial also claims packable WAITING trials of its study, trains them as one
// program, and every trial still completes exactly once, with its own progress rows and fenced
// result, and the numbers it gets trained alone.
import { failTrial } from "@hyperensemble/db";
import { runTrial, type TrialResult } from "@hyperensemble/engine";
import { buildTrialSpec, cancelStudy, fillQueue, type TrialJob } from "@hyperensemble/platform";
import { describe, expect, it } from "vitest";
import { loadRunnerEnv } from "./env.ts";
import { queueEnqueuer, seedOrg, studyLedger, waitFor, waitForStudyCompleted } from "./fleet.test-helpers.ts";
import { inProcessRunners } from "./in-process.test-helpers.ts";
import { processTrialJob, type TrialOutcome } from "./processTrial.ts";

const h = inProcessRunners("packing", { maxConnections: 8 });

/** Two architectures (activation), so a study holds two kinds of packs. */
const SPACE = {
  learning_rate: { type: "float", low: 3e-3, high: 3e-2, log: true },
  stopping_patience: { type: "float", low: 0.1, high: 0.5 },
  activation: { type: "categorical", choices: ["tanh", "sigmoid"] },
};

async function seedStudy(o: { trials: number; maxEpochs: number; reportEvery: number; seed: number }) {
  const { org, user } = await seedOrg(h.database.db);
  return h.database.db.study.create({
    data: {
      orgId: org.id,
      ownerId: user.id,
      name: `packing-${o.seed}`,
      task: { kind: "closure", level: 0 },
      searchSpace: SPACE,
      ensemble: { replicas: 2, folds: 1 },
      training: { maxEpochs: o.maxEpochs, reportEvery: o.reportEvery },
      seed: o.seed,
      maxTrials: o.trials,
      parallelism: o.trials,
    },
  });
}

type Study = Awaited<ReturnType<typeof seedStudy>>;

/** The trial trained alone, as an unpacked runner would (its result and report steps). */
async function alone(study: Study, trial: { number: number; params: unknown }) {
  const steps: number[] = [];
  const result = await runTrial(buildTrialSpec(study, trial, "cpu"), {
    onReport: (r) => void steps.push(r.epoch),
  });
  return { result, steps };
}

function expectSameResult(stored: Omit<TrialResult, "predictions" | "closure">, want: TrialResult) {
  expect(stored.epochs).toBe(want.epochs);
  for (const k of ["L1", "L2", "L3", "phi2"] as const)
    expect(Math.abs(stored[k] - want[k]) / Math.abs(want[k])).toBeLessThan(1e-3);
  stored.replicaChi2.forEach((v, i) => {
    expect(Math.abs(v - want.replicaChi2[i]!) / Math.abs(want.replicaChi2[i]!)).toBeLessThan(1e-3);
  });
}

interface StoredPacking {
  trials: number;
  members: number;
  trialIds: string[];
}

describe("trial packing in the runner", () => {
  it("RUNNER_PACK_MAX_MEMBERS turns packing on by default and 0 turns it off", () => {
    expect(loadRunnerEnv({}).RUNNER_PACK_MAX_MEMBERS).toBeGreaterThan(0);
    expect(loadRunnerEnv({ RUNNER_PACK_MAX_MEMBERS: "0" }).RUNNER_PACK_MAX_MEMBERS).toBe(0);
    expect(() => loadRunnerEnv({ RUNNER_PACK_MAX_MEMBERS: "-1" })).toThrow(/RUNNER_PACK_MAX_MEMBERS/);
  });

  it("a packing runner completes every trial of a study exactly once, packed, with the unpacked results", async () => {
    const db = h.database.db;
    const study = await seedStudy({ trials: 8, maxEpochs: 40, reportEvery: 10, seed: 5 });
    const ref = { orgId: study.orgId, studyId: study.id };
    const { name, queue } = h.freshQueue();
    const jobOutcomes: TrialOutcome[] = [];
    const packedOutcomes: TrialOutcome[] = [];
    const { shutdown } = h.runner(
      name,
      queue,
      {
        backend: "cpu",
        heartbeatMs: 500,
        packMaxMembers: 6, // three 2-member trials per program
        packMinWaitMs: 0,
        onPackedOutcome: (_, o) => void packedOutcomes.push(o),
      },
      (outcome) => void jobOutcomes.push(outcome),
    );
    await fillQueue(db, queueEnqueuer(queue), ref);
    await waitForStudyCompleted(db, study.id, 180_000, 200);

    const ledger = await studyLedger(db, study.id);
    expect(ledger).toMatchObject({
      total: 8,
      byState: { COMPLETE: 8 },
      uniqueNumbers: 8,
      completeWithoutResult: 0,
      resultWithoutComplete: 0,
      duplicatedIntermediate: 0,
    });
    // exactly once: one "complete" per trial over jobs and packed companions; other deliveries skipped
    const completes = [...jobOutcomes, ...packedOutcomes].filter((o) => o.kind === "complete");
    expect(completes).toHaveLength(8);
    expect(packedOutcomes.length).toBeGreaterThan(0);

    const trials = await db.trial.findMany({
      where: { studyId: study.id },
      include: { result: true, intermediate: { orderBy: { step: "asc" } } },
      orderBy: { number: "asc" },
    });
    const packs = new Map<string, StoredPacking>();
    for (const t of trials) {
      expect(t.attempt).toBe(1);
      const packing = (t.result?.predictions as { packing?: StoredPacking } | null)?.packing;
      if (!packing) continue;
      expect(packing.trialIds).toContain(t.id);
      expect(packing.trialIds).toHaveLength(packing.trials);
      expect(packing.members).toBeLessThanOrEqual(6);
      packs.set(packing.trialIds.join(","), packing);
    }
    expect(packs.size).toBeGreaterThan(0);
    for (const p of packs.values()) {
      // one program holds one architecture only
      const members = trials.filter((t) => p.trialIds.includes(t.id));
      expect(new Set(members.map((t) => (t.params as { activation: string }).activation)).size).toBe(1);
    }
    // each trial's numbers and progress rows are those it gets trained alone
    for (const t of trials) {
      const want = await alone(study, t);
      expectSameResult(t.result as unknown as TrialResult, want.result);
      expect(t.intermediate.map((iv) => iv.step)).toEqual(want.steps);
      expect(t.intermediate.every((iv) => iv.attempt === 1)).toBe(true);
    }
    shutdown.abort();
  }, 300_000);

  async function packOfThree(maxEpochs: number) {
    const db = h.database.db;
    const study = await seedStudy({ trials: 3, maxEpochs, reportEvery: 5, seed: 9 });
    const params = { learning_rate: 0.01, stopping_patience: 0.5, activation: "tanh" };
    const trials = [];
    for (let n = 0; n < 3; n++)
      trials.push(
        await db.trial.create({
          data: {
            orgId: study.orgId,
            studyId: study.id,
            number: n,
            params: { ...params, learning_rate: 0.01 + n * 0.005 },
          },
        }),
      );
    const enqueued: TrialJob[] = [];
    const packed = new Map<string, TrialOutcome>();
    const run = processTrialJob(
      {
        db,
        enqueuer: { enqueue: async (j) => void enqueued.push(j) },
        runnerId: null as unknown as string,
        backend: "cpu",
        heartbeatMs: 200,
        packMaxMembers: 6,
        packMinWaitMs: 0,
        onPackedOutcome: (id, o) => void packed.set(id, o),
      },
      { trialId: trials[0]!.id, studyId: study.id, orgId: study.orgId },
      new AbortController().signal,
    );
    return { db, study, trials, run, packed };
  }

  it("a companion taken from its attempt mid-pack is released alone; the others complete unchanged", async () => {
    const { db, study, trials, run, packed } = await packOfThree(300);
    const [a, b, c] = trials as [(typeof trials)[0], (typeof trials)[0], (typeof trials)[0]];
    // b is claimed into the pack and reports; then a reaper gives it to a new attempt
    await waitFor(
      "b to report",
      async () => (await db.intermediateValue.count({ where: { trialId: b.id } })) > 0,
    );
    expect((await db.trial.findUniqueOrThrow({ where: { id: c.id } })).state).toBe("RUNNING");
    expect(await failTrial(db, b.id, 1, "taken over in the test", { retry: true })).toBe("WAITING");
    const rowsAtTakeover = await db.intermediateValue.count({ where: { trialId: b.id } });

    expect((await run).kind).toBe("complete");
    expect(packed.get(b.id)?.kind).toBe("released");
    expect(packed.get(c.id)?.kind).toBe("complete");
    const rows = await db.trial.findMany({ where: { studyId: study.id }, include: { result: true } });
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(b.id)).toMatchObject({ state: "WAITING", attempt: 2, result: null });
    // its old attempt wrote nothing after losing the trial (at most the one report in flight)
    expect(await db.intermediateValue.count({ where: { trialId: b.id } })).toBeLessThanOrEqual(
      rowsAtTakeover + 1,
    );
    expect(await db.intermediateValue.count({ where: { trialId: b.id, attempt: 2 } })).toBe(0);
    for (const t of [a, c]) {
      const row = byId.get(t.id)!;
      expect(row.state).toBe("COMPLETE");
      expect((row.result?.predictions as { packing?: StoredPacking } | undefined)?.packing?.trialIds).toEqual(
        [a.id, b.id, c.id],
      );
      expectSameResult(row.result as unknown as TrialResult, (await alone(study, t)).result);
    }
  }, 180_000);

  it("cancelling the study ends every trial of the pack as cancelled", async () => {
    const { db, study, trials, run, packed } = await packOfThree(3000);
    await waitFor(
      "all three to report",
      async () =>
        (
          await db.intermediateValue.groupBy({
            by: ["trialId"],
            where: { trialId: { in: trials.map((t) => t.id) } },
          })
        ).length === 3,
    );
    await cancelStudy(db, { orgId: study.orgId, studyId: study.id });
    expect(await run).toEqual({ kind: "failed", error: "cancelled" });
    expect([...packed.values()]).toEqual([
      { kind: "failed", error: "cancelled" },
      { kind: "failed", error: "cancelled" },
    ]);
    const rows = await db.trial.findMany({ where: { studyId: study.id }, include: { result: true } });
    for (const r of rows) expect(r).toMatchObject({ state: "FAIL", error: "cancelled", result: null });
  }, 180_000);
});
