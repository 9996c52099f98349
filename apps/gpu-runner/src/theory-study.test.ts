// A study on an uploaded theory (engine tasks/theory.ts): the runner builds the theory task once for
// the dataset version and trains its trials with FK heads; closure data, so the truth is scored.
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { buildTheoryTask, checkTheory, syntheticTheory, theoryJson } from "@hyperensemble/engine";
import { createStudy, createStudyInputSchema, type TrialJob } from "@hyperensemble/platform";
import { afterAll, beforeAll, expect, it } from "vitest";
import { DatasetTaskCache } from "./datasetTasks.ts";
import { seedOrg } from "./fleet.test-helpers.ts";
import { processTrialJob } from "./processTrial.ts";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase({ max: 4 });
});
afterAll(async () => {
  await database?.drop();
});

it("a study on a stored theory trains its trials on the theory task, built once", async () => {
  const db = database.db;
  const { org, user } = await seedOrg(db);
  const json = theoryJson(
    checkTheory(syntheticTheory({ subsets: 5, pointsPerSubset: 8, gridPoints: 20, level: 1 })),
  );
  const ds = await db.dataset.create({
    data: { orgId: org.id, name: "dis", kind: "theory", nPoints: 40, summary: {}, data: json as object },
  });
  const jobs: TrialJob[] = [];
  const enqueuer = { enqueue: async (j: TrialJob) => void jobs.push(j) };
  const study = await createStudy(db, enqueuer, {
    orgId: org.id,
    ownerId: user.id,
    spec: createStudyInputSchema.parse({
      name: "theory",
      task: { kind: "dataset", datasetId: ds.id },
      replicas: 3,
      trials: 2,
      folds: 2,
      maxEpochs: 30,
      parallelism: 1,
      seed: 5,
    }),
  });
  let builds = 0;
  class CountingCache extends DatasetTaskCache {
    override get(...[d, ref, build]: Parameters<DatasetTaskCache["get"]>) {
      return super.get(d, ref, async (j) => {
        const task = await build(j);
        builds++;
        // the runner built the theory task (FK head on the grid), not a tabular one
        expect(task.kind).toBe("theory");
        expect(task.head.kind).toBe("fk");
        expect(task.modelInputs).toHaveLength(20);
        return task;
      });
    }
  }
  const counting = new CountingCache(2);
  for (let i = 0; i < 2; i++) {
    const outcome = await processTrialJob(
      {
        db,
        enqueuer,
        runnerId: null as unknown as string,
        backend: "cpu",
        heartbeatMs: 1_000,
        datasetTasks: counting,
      },
      jobs[i]!,
      new AbortController().signal,
    );
    expect(outcome.kind).toBe("complete");
  }
  expect(builds).toBe(1);
  const rows = await db.trial.findMany({
    where: { orgId: org.id, studyId: study.id },
    include: { result: true },
  });
  expect(rows.map((r) => r.state)).toEqual(["COMPLETE", "COMPLETE"]);
  for (const r of rows) {
    expect(r.result?.foldChi2).toHaveLength(2);
    expect(Number.isFinite(r.result?.L1)).toBe(true);
    // the theory carries its truth: closure estimators are scored
    expect(Number.isFinite(r.result?.closureBias)).toBe(true);
  }
  // the stored JSON builds the same task as the engine does from the generator
  expect(buildTheoryTask(json).dataset.nPoints).toBe(40);
}, 240_000);
