// Quotas and limits on real Postgres: the study-size checks at creation and growth, per-organisation
// overrides, time budgets, the admission limit, and the fair top-up sweep.
import type { Db } from "@hyperensemble/db";
import { createTestDatabase } from "@hyperensemble/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addTrials } from "./control.ts";
import { LIMIT_DEFAULTS, limitsFromEnv, StudyLimitError } from "./limits.ts";
import { createStudyInputSchema } from "./schema.ts";
import { createStudy, fillQueue, type TrialJob } from "./study.ts";
import { fillActiveStudies } from "./sweep.ts";

let db: Db;
let drop: () => Promise<void>;
let ownerId: string;
const jobs: TrialJob[] = [];
const enqueuer = { enqueue: async (j: TrialJob) => void jobs.push(j) };
let orgs = 0;

async function newOrg(): Promise<string> {
  orgs += 1;
  const org = await db.organization.create({ data: { slug: `limits-${orgs}`, name: `Limits ${orgs}` } });
  return org.id;
}

beforeAll(async () => {
  const t = await createTestDatabase();
  db = t.db;
  drop = t.drop;
  ownerId = (await db.user.create({ data: { email: "limits@test.local" } })).id;
});
afterAll(async () => drop());

const spec = (over: object = {}) =>
  createStudyInputSchema.parse({ name: "s", replicas: 4, trials: 6, parallelism: 2, seed: 7, ...over });

/** The issue's study: 2000 replicas × 100,000 epochs × 1000 trials × parallelism 64, 4 × 4096 units. */
const wide = { type: "int", low: 4096, high: 4096 };
const ISSUE_STUDY = {
  replicas: 2000,
  maxEpochs: 100_000,
  trials: 1000,
  parallelism: 64,
  searchSpace: {
    n_layers: { type: "int", low: 4, high: 4 },
    units_1: wide,
    units_2: wide,
    units_3: wide,
    units_4: wide,
  },
};

async function refusal(orgId: string, over: object): Promise<StudyLimitError> {
  const before = await db.study.count({ where: { orgId } });
  const error = await createStudy(db, enqueuer, { orgId, ownerId, spec: spec(over) }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StudyLimitError);
  expect(await db.study.count({ where: { orgId } })).toBe(before); // nothing stored
  return error as StudyLimitError;
}

describe("limits from the environment", () => {
  it("defaults apply when unset; values parse; a bad value names its variable", () => {
    expect(limitsFromEnv({}).maxParallelism).toBe(LIMIT_DEFAULTS.maxParallelism.value);
    expect(limitsFromEnv({ HENS_STUDY_MAX_PARALLELISM: "8" }).maxParallelism).toBe(8);
    expect(limitsFromEnv({ HENS_ORG_MAX_ACTIVE_TRIALS: "0" }).maxActiveTrials).toBe(Number.POSITIVE_INFINITY);
    expect(() => limitsFromEnv({ HENS_TRIAL_MAX_COMPUTE: "lots" })).toThrow(/HENS_TRIAL_MAX_COMPUTE/);
    expect(() => limitsFromEnv({ HENS_MAX_TRIAL_SECONDS: "0" })).toThrow(
      /HENS_MAX_TRIAL_SECONDS must be > 0/,
    );
  });
});

describe("study size at creation", () => {
  it("refuses the issue's study field by field, naming the limit and how it was computed", async () => {
    const orgId = await newOrg();
    const parallelism = await refusal(orgId, ISSUE_STUDY);
    expect(parallelism.field).toBe("parallelism");
    expect(parallelism.message).toBe(
      "parallelism: parallelism 64 exceeds the limit of 32 (HENS_STUDY_MAX_PARALLELISM)",
    );
    const compute = await refusal(orgId, { ...ISSUE_STUDY, parallelism: 8 });
    expect(compute.field).toBe("replicas");
    // closure task: 2 inputs, 3 outputs + 6 preprocessing exponents; 4 hidden layers of 4096
    const parameters = 2 * 4096 + 4096 + 3 * (4096 * 4096 + 4096) + 4096 * 3 + 3 + 6;
    expect(compute.message).toContain(
      `replicas × folds × maxEpochs × parameters = 2000 × 2 × 100000 × ${parameters.toExponential(2).replace("e+", "e")}`,
    );
    expect(compute.message).toContain("hidden layers 4096-4096-4096-4096");
    expect(compute.message).toContain("exceeds the limit of 1.00e12 (HENS_TRIAL_MAX_COMPUTE)");
  });

  it("accepts NNPDF-sized work: 500 replicas × 4 folds × 20,000 epochs, 3 layers of up to 64 units", async () => {
    const orgId = await newOrg();
    const units = { type: "int", low: 8, high: 64 };
    const study = await createStudy(db, enqueuer, {
      orgId,
      ownerId,
      spec: spec({
        replicas: 500,
        folds: 4,
        maxEpochs: 20_000,
        trials: 200,
        parallelism: 16,
        searchSpace: {
          n_layers: { type: "int", low: 1, high: 3 },
          units_1: units,
          units_2: units,
          units_3: units,
        },
      }),
    });
    expect(study.maxTrials).toBe(200);
  });

  it("refuses a study whose trials together exceed the per-study compute, on `trials`", async () => {
    const orgId = await newOrg();
    // the demo space: up to 3 layers of 40 units, 3,529 parameters; 400 × 6 × 20,000 × 3,529 = 1.69e11
    const error = await refusal(orgId, { replicas: 400, folds: 6, maxEpochs: 20_000, trials: 1000 });
    expect(error.field).toBe("trials");
    expect(error.message).toContain("trials × trial compute = 1000 × 1.69e11 = 1.69e14");
    expect(error.message).toContain("(HENS_STUDY_MAX_COMPUTE)");
  });

  it("an organisation's override replaces the environment's limit, and says so", async () => {
    const orgId = await newOrg();
    await db.orgLimits.create({ data: { orgId, maxParallelism: 64, maxTrialsPerStudy: 5 } });
    const trials = await refusal(orgId, { parallelism: 64, trials: 6 });
    expect(trials.message).toBe(
      "trials: 6 trials per study exceeds the limit of 5 (this organisation's override)",
    );
    const study = await createStudy(db, enqueuer, {
      orgId,
      ownerId,
      spec: spec({ parallelism: 64, trials: 5 }),
    });
    expect(study.parallelism).toBe(64);
  });
});

describe("time budgets", () => {
  it("are stored when set, default to the limits when not, and are refused above them", async () => {
    const orgId = await newOrg();
    const set = await createStudy(db, enqueuer, {
      orgId,
      ownerId,
      spec: spec({ maxWallSeconds: 3600, maxGpuSeconds: 7200, maxTrialSeconds: 60 }),
    });
    expect([set.maxWallSeconds, set.maxGpuSeconds, set.maxTrialSeconds]).toEqual([3600, 7200, 60]);
    const unset = await createStudy(db, enqueuer, { orgId, ownerId, spec: spec() });
    expect([unset.maxWallSeconds, unset.maxGpuSeconds, unset.maxTrialSeconds]).toEqual([
      LIMIT_DEFAULTS.maxStudyWallSeconds.value,
      LIMIT_DEFAULTS.maxStudyGpuSeconds.value,
      LIMIT_DEFAULTS.maxTrialSeconds.value,
    ]);
    const over = await refusal(orgId, { maxTrialSeconds: LIMIT_DEFAULTS.maxTrialSeconds.value + 1 });
    expect(over.message).toBe(
      "maxTrialSeconds: 86401 s exceeds the limit of 86,400 s (HENS_MAX_TRIAL_SECONDS)",
    );
    expect((await refusal(orgId, { maxGpuSeconds: 3e6 })).field).toBe("maxGpuSeconds");
  });

  it("a spent GPU-time budget completes the study instead of issuing trials", async () => {
    const orgId = await newOrg();
    jobs.length = 0;
    const study = await createStudy(db, enqueuer, { orgId, ownerId, spec: spec({ maxGpuSeconds: 10 }) });
    await db.trial.updateMany({ where: { orgId, studyId: study.id }, data: { state: "COMPLETE" } });
    await db.study.updateMany({ where: { id: study.id, orgId }, data: { gpuSeconds: 10 } });
    const outcome = await fillQueue(db, enqueuer, { orgId, studyId: study.id });
    expect(outcome).toMatchObject({ created: 0, completed: true });
  });
});

describe("growing a study", () => {
  it("adding trials past the trials-per-study limit is refused on `count`, the budget unchanged", async () => {
    const orgId = await newOrg();
    await db.orgLimits.create({ data: { orgId, maxTrialsPerStudy: 10 } });
    const study = await createStudy(db, enqueuer, { orgId, ownerId, spec: spec({ trials: 6 }) });
    const ref = { orgId, studyId: study.id };
    await expect(addTrials(db, enqueuer, ref, 5)).rejects.toThrow(
      "count: 11 trials per study exceeds the limit of 10 (this organisation's override)",
    );
    await addTrials(db, enqueuer, ref, 4);
    expect((await db.study.findFirstOrThrow({ where: { id: study.id, orgId } })).maxTrials).toBe(10);
  });
});

describe("admission limit per organisation", () => {
  it("is on by default and an override lowers it", async () => {
    const orgId = await newOrg();
    await db.orgLimits.create({ data: { orgId, maxActiveTrials: 3 } });
    const study = await createStudy(db, enqueuer, {
      orgId,
      ownerId,
      spec: spec({ parallelism: 8, trials: 20 }),
    });
    expect(await db.trial.count({ where: { orgId, studyId: study.id } })).toBe(3);
    const again = await fillQueue(db, enqueuer, { orgId, studyId: study.id });
    expect(again).toMatchObject({ created: 0, admissionLimited: true });
    expect(limitsFromEnv({}).maxActiveTrials).toBe(256);
  });
});

describe("the top-up sweep", () => {
  it("org A's failing study and many old studies cannot starve org B's study", async () => {
    // Only this test's two organisations have active studies.
    await db.study.updateMany({ where: { orgId: { not: "" } }, data: { state: "CANCELLED" } });
    const a = await newOrg();
    const b = await newOrg();
    const row = (orgId: string, name: string, createdAt: Date, searchSpace: object) =>
      db.study.create({
        data: {
          orgId,
          ownerId,
          name,
          state: "QUEUED",
          task: { kind: "closure", level: 0 },
          searchSpace,
          ensemble: { replicas: 1, folds: 1 },
          training: { maxEpochs: 10, reportEvery: 1 },
          seed: 1,
          maxTrials: 5,
          parallelism: 1,
          createdAt,
        },
      });
    const old = new Date("2020-01-01T00:00:00Z");
    // A's oldest study has a search space no fill can parse: its fill throws on every sweep.
    const broken = await row(a, "broken", old, { x: { type: "float", low: 1, high: 0 } });
    for (let i = 0; i < 30; i++)
      await row(a, `a-${i}`, new Date(old.getTime() + (i + 1) * 1000), {
        x: { type: "float", low: 0, high: 1 },
      });
    const bStudy = await row(b, "b", new Date(), { x: { type: "float", low: 0, high: 1 } });
    const errors: string[] = [];
    const outcome = await fillActiveStudies(db, enqueuer, new Date(), {
      perOrg: 3,
      maxStudies: 4,
      onError: (s) => errors.push(s.id),
    });
    expect(errors).toEqual([broken.id]);
    expect(outcome).toEqual({ created: 3, filled: 3, failed: 1 });
    // B's one study was in the sweep (round-robin), though A has 31 older ones.
    expect(await db.trial.count({ where: { orgId: b, studyId: bStudy.id } })).toBe(1);
    expect(await db.trial.count({ where: { orgId: a } })).toBe(2);
  });
});
