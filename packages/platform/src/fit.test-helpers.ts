import type { Db } from "@hyperensemble/db";
import { createTestDatabase } from "@hyperensemble/db/testing";
import { afterAll, beforeAll } from "vitest";
import { seedDemo } from "./demo.ts";
import { createStudyInputSchema } from "./schema.ts";
import { createStudy } from "./study.ts";

/** The params of trial `number` of seedFitStudy's study. */
export const fitTrialParams = (number: number) => ({ n_layers: 1, units_1: 4 + number, learning_rate: 0.01 });

/**
 * A small closure study (level 0, 30 epochs; or on an uploaded dataset) with three completed trials whose results make the
 * selection rule (L1 window, then largest φ²) pick trial 1: a fit's source in tests.
 */
export async function seedFitStudy(
  db: Db,
  orgId: string,
  ownerId: string,
  /** An uploaded dataset's id (a theory or a table) instead of the closure task. */
  datasetId?: string,
): Promise<string> {
  const study = await createStudy(
    db,
    { enqueue: async () => undefined },
    {
      orgId,
      ownerId,
      spec: createStudyInputSchema.parse({
        name: "fit source",
        replicas: 2,
        trials: 3,
        maxEpochs: 30,
        seed: 5,
        task: datasetId ? { kind: "dataset", datasetId } : { kind: "closure", level: 0 },
      }),
    },
  );
  await db.trial.deleteMany({ where: { studyId: study.id } });
  for (const [number, L1, phi2] of [
    [0, 1.0, 0.1],
    [1, 1.05, 0.3],
    [2, 5.0, 0.9],
  ] as const) {
    await db.trial.create({
      data: {
        orgId,
        studyId: study.id,
        number,
        params: fitTrialParams(number),
        state: "COMPLETE",
        result: {
          create: {
            orgId,
            value: L1,
            L1,
            L2: L1,
            L3: L1,
            phi2,
            epochs: 30,
            backend: "cpu",
            durationSeconds: 1,
          },
        },
      },
    });
  }
  return study.id;
}

/** A demo org and owner (signing in with `email`) with seedFitStudy's study: a fit test's world. */
export async function seedFitOrg(db: Db, email: string) {
  const { org, user } = await seedDemo(db, { email, name: "Fit", password: "pw-123456" });
  return { org, ownerId: user.id, studyId: await seedFitStudy(db, org.id, user.id) };
}

export interface FitTestWorld {
  db: Db;
  org: { id: string; slug: string };
  ownerId: string;
  studyId: string;
}

/** A migrated database with seedFitOrg's world, set up by the beforeAll this registers in the caller. */
export function fitTestWorld(email: string): FitTestWorld {
  const world = {} as FitTestWorld;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const t = await createTestDatabase();
    drop = t.drop;
    world.db = t.db;
    Object.assign(world, await seedFitOrg(t.db, email));
  }, 120_000);
  afterAll(async () => drop?.());
  return world;
}
