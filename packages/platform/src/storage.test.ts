import type { Db } from "@hyperensemble/db";
import { createTestDatabase } from "@hyperensemble/db/testing";
import { trialStorageContract } from "@hyperensemble/engine/search/storage-contract";
import { afterAll, beforeAll, expect, it } from "vitest";
import { seedDemo } from "./demo.ts";
import { dropCachedHistory, PostgresTrialStorage } from "./storage.ts";

let db: Db;
let drop: () => Promise<void>;
let orgId: string;
let ownerId: string;

beforeAll(async () => {
  const t = await createTestDatabase({ max: 8 });
  db = t.db;
  drop = t.drop;
  const { org, user } = await seedDemo(db, { email: "s@test.local", name: "S", password: "pw-123456" });
  orgId = org.id;
  ownerId = user.id;
});
afterAll(async () => drop());

trialStorageContract("Postgres", async () => {
  const study = await db.study.create({
    data: {
      orgId,
      ownerId,
      name: "storage contract",
      task: { kind: "closure", level: 0 },
      searchSpace: {},
      ensemble: { replicas: 2, folds: 1 },
      training: { maxEpochs: 10, reportEvery: 1 },
      seed: 1,
      maxTrials: 100,
    },
  });
  return {
    a: new PostgresTrialStorage(db, orgId),
    b: new PostgresTrialStorage(db, orgId),
    studyId: study.id,
  };
});

it("serves finished trials from the cache: a report re-reads only the pending trials", async () => {
  const study = await db.study.create({
    data: {
      orgId,
      ownerId,
      name: "cache",
      task: { kind: "closure", level: 0 },
      searchSpace: {},
      ensemble: { replicas: 2, folds: 1 },
      training: { maxEpochs: 10, reportEvery: 1 },
      seed: 1,
      maxTrials: 100,
    },
  });
  const store = new PostgresTrialStorage(db, orgId);
  const done = await store.createTrial(study.id, { x: 1 }, "RUNNING");
  await store.appendIntermediate(study.id, done.number, 1, 3);
  await store.updateTrial(study.id, done.number, { state: "COMPLETE", value: 2 });
  const pending = await store.createTrial(study.id, { x: 2 }, "RUNNING");
  expect((await store.listTrials(study.id)).map((t) => t.intermediate?.length ?? 0)).toEqual([1, 0]);
  // Rows changed behind the store's back: the finished trial is not read again, the pending one is.
  await db.intermediateValue.deleteMany({ where: { orgId, trialId: done.id } });
  await store.appendIntermediate(study.id, pending.number, 1, 5);
  const seen = await store.listTrials(study.id);
  expect(seen.map((t) => t.intermediate)).toEqual([[[1, 3]], [[1, 5]]]);
  dropCachedHistory(study.id);
  expect((await store.listTrials(study.id))[0]!.intermediate).toBeUndefined();
});
