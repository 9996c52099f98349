// A study on an uploaded theory (engine tasks/theory.ts): the runner builds the theory task once for
// the dataset version and trains its trials with FK heads; closure data, so the truth is scored.
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { buildTheoryTask, checkTheory, syntheticTheory, TrialRng, theoryJson } from "@hyperensemble/engine";
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

/** A stored theory dataset (its JSON as the upload stores it) and a study on it, its jobs as enqueued. */
async function theoryStudy(json: object, nPoints: number, spec: Record<string, unknown>) {
  const db = database.db;
  const { org, user } = await seedOrg(db);
  const ds = await db.dataset.create({
    data: { orgId: org.id, name: String(spec["name"]), kind: "theory", nPoints, summary: {}, data: json },
  });
  const jobs: TrialJob[] = [];
  const enqueuer = { enqueue: async (j: TrialJob) => void jobs.push(j) };
  const study = await createStudy(db, enqueuer, {
    orgId: org.id,
    ownerId: user.id,
    spec: createStudyInputSchema.parse({
      ...spec,
      task: { kind: "dataset", datasetId: ds.id },
      parallelism: 1,
    }),
  });
  return { db, org, study, jobs, enqueuer };
}

/** One trial job as a CPU runner processes it, with `datasetTasks` as its dataset cache. */
function runTrial(
  db: TestDatabase["db"],
  enqueuer: { enqueue(j: TrialJob): Promise<void> },
  job: TrialJob,
  datasetTasks: DatasetTaskCache,
) {
  return processTrialJob(
    { db, enqueuer, runnerId: null as unknown as string, backend: "cpu", heartbeatMs: 1_000, datasetTasks },
    job,
    new AbortController().signal,
  );
}

it("a study on a stored theory trains its trials on the theory task, built once", async () => {
  const json = theoryJson(
    checkTheory(syntheticTheory({ subsets: 5, pointsPerSubset: 8, gridPoints: 20, level: 1 })),
  );
  const { db, org, study, jobs, enqueuer } = await theoryStudy(json, 40, {
    name: "theory",
    replicas: 3,
    trials: 2,
    folds: 2,
    maxEpochs: 30,
    seed: 5,
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
    const outcome = await runTrial(db, enqueuer, jobs[i]!, counting);
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

it("trains a study on a theory with 14 outputs (NNPDF's flavour count), the limit", async () => {
  // a few points: 4 sub-datasets of 5 on a 10-row grid [x, ln x], F = 14, FK ≥ 0; data = FK · truth
  // plus 2% noise, so the outputs are identified only through the 14-wide FK rows
  const G = 10;
  const F = 14;
  const rng = new TrialRng(11);
  const u = () => rng.uniform();
  const grid = Array.from({ length: G }, (_, g) => {
    const x = 10 ** (-3 + (2.9 * g) / (G - 1));
    return [x, Math.log(x)];
  });
  const truth = grid.map(([x]) =>
    Array.from({ length: F }, (_, f) => (1 + f / F) * x! ** 0.5 * (1 - x!) ** 2),
  );
  const subsets = Array.from({ length: 4 }, (_, i) => {
    const fk = Array.from({ length: 5 }, () => Array.from({ length: G * F }, () => u() * 0.2));
    const exact = fk.map((row) => row.reduce((t, v, j) => t + v * truth[Math.floor(j / F)]![j % F]!, 0));
    return {
      name: `set_${i}`,
      fk,
      values: exact.map((v) => v * (1 + 0.02 * (u() - 0.5))),
      stat: exact.map((v) => 0.02 * v + 1e-3),
      truth: exact,
    };
  });
  const json = theoryJson(checkTheory({ format: "theory", nOutputs: F, grid, subsets, truthOutputs: truth }));
  const { db, org, study, jobs, enqueuer } = await theoryStudy(json, 20, {
    name: "fourteen",
    replicas: 2,
    trials: 1,
    folds: 2,
    maxEpochs: 20,
    seed: 3,
  });
  const outcome = await runTrial(db, enqueuer, jobs[0]!, new DatasetTaskCache(1));
  expect(outcome.kind).toBe("complete");
  const [row] = await db.trial.findMany({
    where: { orgId: org.id, studyId: study.id },
    include: { result: true },
  });
  expect(row?.state).toBe("COMPLETE");
  expect(row?.result?.foldChi2).toHaveLength(2);
  expect(row?.result?.foldChi2.every(Number.isFinite)).toBe(true);
  expect(Number.isFinite(row?.result?.closureBias)).toBe(true);
  // the task the runner trained: 14 outputs on the grid, FK rows of G·F
  const task = buildTheoryTask(json);
  expect(task.nOutputs).toBe(F);
  expect(task.head.kind === "fk" ? task.head.fk.length : 0).toBe(20 * G * F);
}, 240_000);
