import { z } from "zod";

// The physics fields of a trial result as stored and read (no engine internals: the web imports this).

/**
 * χ²/N of one sub-dataset, through its own covariance block C_j (METHOD.md §3, S = its points),
 * against the central data D, in two forms (METHOD.md §4):
 * - `central`: chi2_j(⟨T⟩, D), the ensemble's central prediction (mean over the fold's replicas);
 * - `replica`: ⟨chi2_j(T_r, D)⟩_rep, the mean over the fold's replicas.
 * `training` averages over the folds that fitted the sub-dataset (all its points: each replica's
 * training/validation split differs, so the sub-dataset as a whole is the set common to all);
 * `heldOut` is the one fold that held it out. Either is null where no fold did that (an "always
 * fitted" sub-dataset has no held-out value; with one fold nothing is held out).
 */
// A type, not an interface: it is stored in a Prisma Json column, whose input type needs an index
// signature that only type aliases satisfy.
export type SubsetChi2 = {
  name: string;
  points: number;
  training: { central: number; replica: number } | null;
  heldOut: { central: number; replica: number } | null;
};

/** Bounds of what a result may carry for the physics views (the row stays small). */
export const PHYSICS_LIMITS = { subsets: 500, members: 20_000, replicaCurves: 10 } as const;

const finite = (field: string) =>
  z
    .number({ error: `${field} must be a number` })
    .refine(Number.isFinite, { error: `${field} must be finite` });
const pair = (field: string) =>
  z.object({ central: finite(`${field}.central`), replica: finite(`${field}.replica`) }).nullable();

/**
 * The physics fields of a stored result's `predictions` JSON (engine trial.ts TrialResult), checked
 * where a runner writes them and where the web reads them; every message names its field.
 */
export const physicsFieldsSchema = z.object({
  subsetChi2: z
    .array(
      z.object({
        name: z.string({ error: "subsetChi2.name must be text" }).max(200),
        points: z.number().int().min(0),
        training: pair("subsetChi2.training"),
        heldOut: pair("subsetChi2.heldOut"),
      }),
      { error: "subsetChi2 must be a list" },
    )
    .max(PHYSICS_LIMITS.subsets, { error: `subsetChi2 has more than ${PHYSICS_LIMITS.subsets} sub-datasets` })
    .optional(),
  stoppingEpochs: z
    .array(z.number().int({ error: "stoppingEpochs must be whole epochs" }).min(0), {
      error: "stoppingEpochs must be a list",
    })
    .max(PHYSICS_LIMITS.members, { error: `stoppingEpochs has more than ${PHYSICS_LIMITS.members} members` })
    .optional(),
});

export type PhysicsFields = z.infer<typeof physicsFieldsSchema>;
