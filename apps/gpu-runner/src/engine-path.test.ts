// The default (non-synthetic) path: a real, tiny closure trial trained by the engine through the
// runner's trial processor, with its progress and result written for the holding attempt.
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { demoSearchSpace, L3_MAX, webGpuTrainer } from "@hyperensemble/engine";
import { physicsFieldsSchema } from "@hyperensemble/engine/physics";
import { createSampler, parseSearchSpace } from "@hyperensemble/engine/search";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadRunnerEnv } from "./env.ts";
import { seedOrg } from "./fleet.test-helpers.ts";
import { processTrialJob, type TrialProcessorDeps } from "./processTrial.ts";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase({ max: 4 });
});
afterAll(async () => {
  await database?.drop();
});

async function closureTrial(name: string, replicas = 2) {
  const db = database.db;
  const { org, user } = await seedOrg(db);
  const space = parseSearchSpace(demoSearchSpace);
  const study = await db.study.create({
    data: {
      orgId: org.id,
      ownerId: user.id,
      name,
      task: { kind: "closure", level: 0 },
      searchSpace: space as object,
      ensemble: { replicas, folds: 1 },
      training: { maxEpochs: 20, reportEvery: 10 },
      seed: 3,
      maxTrials: 1,
      parallelism: 1,
    },
  });
  const params = createSampler({ name: "random", seed: 1 }).ask(space, []);
  const trial = await db.trial.create({ data: { orgId: org.id, studyId: study.id, number: 0, params } });
  return { org, study, trial };
}

async function processOne(name: string, extra: Partial<TrialProcessorDeps> = {}, replicas = 2) {
  const db = database.db;
  const { org, study, trial } = await closureTrial(name, replicas);
  const enqueued: string[] = [];
  const outcome = await processTrialJob(
    {
      db,
      enqueuer: { enqueue: async (job) => void enqueued.push(job.trialId) },
      runnerId: null as unknown as string,
      backend: "cpu",
      heartbeatMs: 1_000,
      ...extra,
    },
    { trialId: trial.id, studyId: study.id, orgId: org.id },
    new AbortController().signal,
  );
  const row = await db.trial.findUniqueOrThrow({ where: { id: trial.id }, include: { result: true } });
  return { outcome, row, study, enqueued };
}

it("trains a real trial with the engine and completes it once", async () => {
  const db = database.db;
  const { outcome, row, study, enqueued } = await processOne("engine path");
  expect(outcome.kind).toBe("complete");
  expect(row).toMatchObject({ state: "COMPLETE", attempt: 1 });
  expect(row.result?.backend).toBe("cpu");
  expect(Number.isFinite(row.result?.value)).toBe(true);
  // The physics views' fields reach the stored row (per sub-dataset χ²/N, one stopping epoch per member).
  const stored = physicsFieldsSchema.parse(row.result?.predictions);
  expect(stored.subsetChi2?.length).toBeGreaterThan(1);
  expect(stored.stoppingEpochs).toHaveLength(2);
  expect(await db.intermediateValue.count({ where: { trialId: row.id } })).toBeGreaterThanOrEqual(1);
  // The budget (1 trial) is spent: the follow-up fill completes the study and enqueues nothing.
  expect(enqueued).toEqual([]);
  expect((await db.study.findUniqueOrThrow({ where: { id: study.id } })).state).toBe("COMPLETED");
}, 120_000);

it("a one-replica level-0 trial completes: phi2 = 0 scores L3 = L3_MAX, not a failed write", async () => {
  // Issue 13: 1/phi2 was Infinity, stored as NULL into a NOT NULL column, and the trial failed with SQL.
  const { outcome, row } = await processOne("one replica", {}, 1);
  expect(outcome.kind).toBe("complete");
  expect(row).toMatchObject({ state: "COMPLETE", attempt: 1, error: null });
  expect(row.result?.phi2).toBe(0);
  expect(row.result?.L3).toBe(L3_MAX);
  expect(L3_MAX).toBe(1e12);
}, 120_000);

it("ENGINE_TRAINER=webgpu: the same trial trained by the WGSL engine scores as on TF.js", async () => {
  // Mesa llvmpipe through Dawn's OpenGL ES backend here (CI installs it); Vulkan on a GPU node.
  const trainer = await webGpuTrainer({ backend: "opengles" });
  const gpu = await processOne("engine path webgpu", { trainer, packMaxMembers: 64 });
  const ref = await processOne("engine path tfjs");
  expect(gpu.outcome.kind).toBe("complete");
  expect(gpu.row).toMatchObject({ state: "COMPLETE", attempt: 1 });
  expect(gpu.row.result?.backend).toMatch(/^webgpu/);
  const rel = (a: number | null | undefined, b: number | null | undefined) =>
    Math.abs(a! - b!) / Math.abs(b!);
  expect(rel(gpu.row.result?.value, ref.row.result?.value)).toBeLessThan(1e-4);
  expect(rel(gpu.row.result?.L1, ref.row.result?.L1)).toBeLessThan(1e-4);
  expect(rel(gpu.row.result?.phi2, ref.row.result?.phi2)).toBeLessThan(1e-4);
}, 180_000);

it("ENGINE_TRAINER defaults to auto, takes tfjs, webgpu and cpu, and names itself when wrong", () => {
  expect(loadRunnerEnv({}).ENGINE_TRAINER).toBe("auto");
  for (const t of ["tfjs", "webgpu", "cpu"])
    expect(loadRunnerEnv({ ENGINE_TRAINER: t }).ENGINE_TRAINER).toBe(t);
  expect(() => loadRunnerEnv({ ENGINE_TRAINER: "cuda" })).toThrow(/ENGINE_TRAINER/);
});

it("a study's fixed settings reach the trainer beside the trial's sampled params", async () => {
  // The trainer records what it is asked to train and stops there: the setup is what matters.
  const db = database.db;
  const { org, user } = await seedOrg(db);
  const space = parseSearchSpace({ learning_rate: { type: "float", low: 0.001, high: 0.03, log: true } });
  const study = await db.study.create({
    data: {
      orgId: org.id,
      ownerId: user.id,
      name: "fixed settings",
      task: { kind: "closure", level: 0 },
      searchSpace: space as object,
      fixed: { optimizer: "sgd", dropout: 0.1 },
      ensemble: { replicas: 2, folds: 1 },
      training: { maxEpochs: 20, reportEvery: 10 },
      seed: 3,
      maxTrials: 1,
      parallelism: 1,
    },
  });
  const trial = await db.trial.create({
    data: { orgId: org.id, studyId: study.id, number: 0, params: { learning_rate: 0.005 } },
  });
  const seen: Parameters<NonNullable<TrialProcessorDeps["trainer"]>["train"]>[0][] = [];
  const outcome = await processTrialJob(
    {
      db,
      enqueuer: { enqueue: async () => undefined },
      runnerId: null as unknown as string,
      backend: "cpu",
      heartbeatMs: 1_000,
      trainer: {
        name: "recording",
        train: async (setup) => {
          seen.push(setup);
          throw new Error("recorded");
        },
      },
    },
    { trialId: trial.id, studyId: study.id, orgId: org.id },
    new AbortController().signal,
  );
  expect(outcome.kind).not.toBe("complete");
  expect(seen).toHaveLength(1);
  expect(seen[0]!.optimiser).toMatchObject({ name: "sgd", learningRate: 0.005 });
  expect(seen[0]!.arch.dropout).toBe(0.1);
  // The stored trial keeps only what was searched.
  expect((await db.trial.findUniqueOrThrow({ where: { id: trial.id } })).params).toEqual({
    learning_rate: 0.005,
  });
}, 120_000);
