// A study on an uploaded dataset (the generic tabular task): created through the platform with the
// dataset of its own organization only, trained for real by the runner's trial processor.
import { readFileSync } from "node:fs";
import path from "node:path";
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { buildTabularTask, csvToDatasetJson } from "@hyperensemble/engine";
import { createStudy, createStudyInputSchema, StudyInputError, type TrialJob } from "@hyperensemble/platform";
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

const csv = readFileSync(
  path.join(import.meta.dirname, "../../../packages/engine/examples/tabular.csv"),
  "utf8",
);

/** The example table as dataset JSON, its edge sub-dataset always fitted. */
const exampleJson = () =>
  csvToDatasetJson({
    format: "csv",
    csv,
    inputs: ["x"],
    targets: ["y"],
    errors: ["dy"],
    subset: "experiment",
    alwaysFitted: ["edge"],
  });

it("a dataset study uses its org's dataset only, and its trials train on it", async () => {
  const db = database.db;
  const { org, user } = await seedOrg(db);
  const other = await seedOrg(db);
  const json = exampleJson();
  const mk = (orgId: string, name: string) =>
    db.dataset.create({
      data: { orgId, name, kind: "tabular", nPoints: 60, summary: {}, data: json as object },
    });
  const mine = await mk(org.id, "mine");
  const theirs = await mk(other.org.id, "theirs");

  const jobs: TrialJob[] = [];
  const enqueuer = { enqueue: async (j: TrialJob) => void jobs.push(j) };
  const spec = (datasetId: string) =>
    createStudyInputSchema.parse({
      name: "tabular",
      task: { kind: "dataset", datasetId },
      replicas: 3,
      trials: 1,
      folds: 2,
      maxEpochs: 30,
      parallelism: 1,
      seed: 5,
    });
  // Another organization's dataset id is refused like an unknown one, naming the field.
  const refused = createStudy(db, enqueuer, { orgId: org.id, ownerId: user.id, spec: spec(theirs.id) });
  await expect(refused).rejects.toBeInstanceOf(StudyInputError);
  await expect(refused).rejects.toThrow(/task\.datasetId: dataset not found/);
  expect(await db.study.count({ where: { orgId: org.id } })).toBe(0);

  const study = await createStudy(db, enqueuer, { orgId: org.id, ownerId: user.id, spec: spec(mine.id) });
  expect(study.datasetId).toBe(mine.id);
  expect(jobs).toHaveLength(1);
  const outcome = await processTrialJob(
    { db, enqueuer, runnerId: null as unknown as string, backend: "cpu", heartbeatMs: 1_000 },
    jobs[0]!,
    new AbortController().signal,
  );
  expect(outcome.kind).toBe("complete");
  const row = await db.trial.findFirstOrThrow({
    where: { orgId: org.id, studyId: study.id },
    include: { result: true },
  });
  expect(row.state).toBe("COMPLETE");
  expect(row.result?.foldChi2).toHaveLength(2);
  expect(Number.isFinite(row.result?.L1)).toBe(true);
  expect(row.result?.closureBias).toBeNull(); // no truth in an uploaded dataset
}, 120_000);

it("trials of a dataset study share one built dataset (bounded cache), not one build per trial", async () => {
  const db = database.db;
  const { org, user } = await seedOrg(db);
  const json = exampleJson();
  const mk = (name: string) =>
    db.dataset.create({
      data: { orgId: org.id, name, kind: "tabular", nPoints: 60, summary: {}, data: json as object },
    });
  const ds = await mk("shared");
  const jobs: TrialJob[] = [];
  const enqueuer = { enqueue: async (j: TrialJob) => void jobs.push(j) };
  const study = await createStudy(db, enqueuer, {
    orgId: org.id,
    ownerId: user.id,
    spec: createStudyInputSchema.parse({
      name: "shared",
      task: { kind: "dataset", datasetId: ds.id },
      replicas: 2,
      trials: 2,
      folds: 1,
      maxEpochs: 10,
      parallelism: 1,
      seed: 3,
    }),
  });
  const cache = new DatasetTaskCache(2);
  const deps = {
    db,
    enqueuer,
    runnerId: null as unknown as string,
    backend: "cpu" as const,
    heartbeatMs: 1_000,
  };
  // the first trial's completion enqueues the second (parallelism 1)
  for (let i = 0; i < 2; i++) {
    const outcome = await processTrialJob(
      { ...deps, datasetTasks: cache },
      jobs[i]!,
      new AbortController().signal,
    );
    expect(outcome.kind).toBe("complete");
  }
  expect(await db.trial.count({ where: { orgId: org.id, studyId: study.id, state: "COMPLETE" } })).toBe(2);
  expect(cache.builds).toBe(1);

  // bounded: two other datasets push the first one out; using it again builds it again
  const build = (j: unknown) => buildTabularTask(j);
  for (const other of [await mk("b"), await mk("c")])
    await cache.get(db, { orgId: org.id, datasetId: other.id }, build);
  expect(cache.builds).toBe(3);
  await cache.get(db, { orgId: org.id, datasetId: ds.id }, build);
  expect(cache.builds).toBe(4);
}, 180_000);

it("while the runner builds a large-block dataset, its trial's heartbeat keeps being written", async () => {
  const db = database.db;
  const { org, user } = await seedOrg(db);
  // one sub-dataset with a normalisation uncertainty: one dense 2,000 × 2,000 block (seconds to factorise)
  const m = 2_000;
  const json = {
    subsets: [
      {
        name: "dense",
        inputs: Array.from({ length: m }, (_, i) => [i / m]),
        values: Array.from({ length: m }, (_, i) => 1 + (i % 7) / 10),
        stat: Array.from({ length: m }, () => 0.05),
        normalisation: 0.02,
      },
    ],
  };
  const ds = await db.dataset.create({
    data: { orgId: org.id, name: "dense", kind: "tabular", nPoints: m, summary: {}, data: json },
  });
  const jobs: TrialJob[] = [];
  const enqueuer = { enqueue: async (j: TrialJob) => void jobs.push(j) };
  await createStudy(db, enqueuer, {
    orgId: org.id,
    ownerId: user.id,
    spec: createStudyInputSchema.parse({
      name: "dense",
      task: { kind: "dataset", datasetId: ds.id },
      replicas: 2,
      trials: 1,
      folds: 1,
      maxEpochs: 10,
      parallelism: 1,
      seed: 7,
    }),
  });
  const trialId = jobs[0]!.trialId;
  const heartbeatAt = async () =>
    (await db.trial.findFirstOrThrow({ where: { id: trialId, orgId: org.id } })).heartbeatAt?.getTime();
  /** Heartbeat writes seen while the build had not finished. */
  let seenDuringBuild = 0;
  class ObservedCache extends DatasetTaskCache {
    override get(...[d, ref, build]: Parameters<DatasetTaskCache["get"]>) {
      return super.get(d, ref, async (j) => {
        let settled = false;
        const task = Promise.resolve(build(j)).finally(() => {
          settled = true;
        });
        let last = await heartbeatAt();
        // the build's promise settles only after the factorisation: a heartbeat that changes before
        // then was written while it ran (impossible if it held this event loop)
        while (!settled && seenDuringBuild < 3) {
          await new Promise((r) => setTimeout(r, 10));
          const now = await heartbeatAt();
          if (now !== last && !settled) seenDuringBuild++;
          last = now;
        }
        return task;
      });
    }
  }
  let tick = 0;
  const base = Date.now();
  const outcome = await processTrialJob(
    {
      db,
      enqueuer,
      runnerId: null as unknown as string,
      backend: "cpu",
      heartbeatMs: 20,
      // each write a distinct time: the clock is the only thing mocked
      now: () => new Date(base + 1_000 * tick++),
      datasetTasks: new ObservedCache(1),
    },
    jobs[0]!,
    new AbortController().signal,
  );
  expect(seenDuringBuild).toBe(3);
  expect(outcome.kind).toBe("complete");
}, 300_000);
