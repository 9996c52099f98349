// The default (non-synthetic) path: a real, tiny closure trial trained by the engine through the
// runner's trial processor, with its progress and result written for the holding attempt.
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { demoSearchSpace } from "@hyperensemble/engine";
import { createSampler, parseSearchSpace } from "@hyperensemble/engine/search";
import { afterAll, beforeAll, expect, it } from "vitest";
import { seedOrg } from "./fleet.test-helpers.ts";
import { processTrialJob } from "./processTrial.ts";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase({ max: 4 });
});
afterAll(async () => {
  await database?.drop();
});

it("trains a real trial with the engine and completes it once", async () => {
  const db = database.db;
  const { org, user } = await seedOrg(db);
  const space = parseSearchSpace(demoSearchSpace);
  const study = await db.study.create({
    data: {
      orgId: org.id,
      ownerId: user.id,
      name: "engine path",
      task: { kind: "closure", level: 0 },
      searchSpace: space as object,
      ensemble: { replicas: 2, folds: 1 },
      training: { maxEpochs: 20, reportEvery: 10 },
      seed: 3,
      maxTrials: 1,
      parallelism: 1,
    },
  });
  const params = createSampler({ name: "random", seed: 1 }).ask(space, []);
  const trial = await db.trial.create({ data: { orgId: org.id, studyId: study.id, number: 0, params } });
  const enqueued: string[] = [];
  const outcome = await processTrialJob(
    {
      db,
      enqueuer: { enqueue: async (job) => void enqueued.push(job.trialId) },
      runnerId: null as unknown as string,
      backend: "cpu",
      heartbeatMs: 1_000,
    },
    { trialId: trial.id, studyId: study.id, orgId: org.id },
    new AbortController().signal,
  );
  expect(outcome.kind).toBe("complete");
  const row = await db.trial.findUniqueOrThrow({ where: { id: trial.id }, include: { result: true } });
  expect(row).toMatchObject({ state: "COMPLETE", attempt: 1 });
  expect(row.result?.backend).toBe("cpu");
  expect(Number.isFinite(row.result?.value)).toBe(true);
  expect(await db.intermediateValue.count({ where: { trialId: trial.id } })).toBeGreaterThanOrEqual(1);
  // The budget (1 trial) is spent: the follow-up fill completes the study and enqueues nothing.
  expect(enqueued).toEqual([]);
  expect((await db.study.findUniqueOrThrow({ where: { id: study.id } })).state).toBe("COMPLETED");
}, 120_000);
