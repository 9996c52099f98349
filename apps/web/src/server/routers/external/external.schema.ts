import { LEASE_SECONDS } from "@hyperensemble/platform";
import { int } from "@hyperensemble/platform/schema";
import { z } from "zod";

// Input of the external-trial procedures (REST: docs/api.md "External trials"). Sizes are capped
// here, before anything is read: the study's own shape (folds, replicas, points) is checked by the
// platform against the study, each mismatch naming its field.
const MAX_FOLDS = 10;
const MAX_REPLICAS = 2000;
const MAX_POINTS = 100_000;

const id = (field: string) =>
  z
    .string({ error: `${field} is required` })
    .min(1, { error: `${field} is required` })
    .max(200);
const finite = (field: string) =>
  z
    .number({ error: `${field} must be a number` })
    .refine(Number.isFinite, { error: `${field} must be finite` });
const finiteList = (field: string, max: number) =>
  z
    .array(finite(field), { error: `${field} must be a list of numbers` })
    .max(max, { error: `${field} has more than ${max} values` });

export const ZAsk = z.object({
  studyId: id("studyId"),
  leaseSeconds: int("leaseSeconds", LEASE_SECONDS.min, LEASE_SECONDS.max).optional(),
  worker: z
    .string({ error: "worker must be text" })
    .max(200, { error: "worker must be at most 200 characters" })
    .optional(),
});

export const ZHeartbeat = z.object({ trialId: id("trialId"), leaseId: id("leaseId") });

export const ZReport = z.object({
  trialId: id("trialId"),
  leaseId: id("leaseId"),
  step: int("step", 0, 10_000_000),
  value: finite("value"),
});

export const ZTell = z.object({
  trialId: id("trialId"),
  leaseId: id("leaseId"),
  state: z.enum(["COMPLETE", "PRUNED", "FAIL"], { error: "state must be COMPLETE, PRUNED or FAIL" }),
  values: finiteList("values", 16).min(1, { error: "values must not be empty" }).optional(),
  predictions: z
    .object({
      folds: z
        .array(
          z.object({
            replicas: z
              .array(finiteList("predictions", MAX_POINTS))
              .max(MAX_REPLICAS, { error: `predictions has more than ${MAX_REPLICAS} replicas` }),
          }),
        )
        .min(1)
        .max(MAX_FOLDS, { error: `predictions has more than ${MAX_FOLDS} folds` }),
    })
    .optional(),
  chi2: z
    .object({
      folds: z
        .array(
          z.object({
            train: finiteList("chi2.train", MAX_REPLICAS),
            validation: finiteList("chi2.validation", MAX_REPLICAS),
            heldOut: finiteList("chi2.heldOut", MAX_REPLICAS),
            central: finite("chi2.central").optional(),
          }),
        )
        .min(1)
        .max(MAX_FOLDS, { error: `chi2 has more than ${MAX_FOLDS} folds` }),
    })
    .optional(),
  error: z.string().max(2000, { error: "error must be at most 2000 characters" }).optional(),
  epochs: int("epochs", 0, 10_000_000).optional(),
});

export const ZPoints = z.object({ studyId: id("studyId"), trialId: id("trialId").optional() });
