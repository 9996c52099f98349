import { type DatasetLimits, datasetLimitsFromEnv } from "@hyperensemble/engine/limits";

/**
 * This web process's dataset limits: the engine's defaults, overridden by the HENS_DATASET_*
 * variables (docs/operations.md, "Limits"). Read once at start; a bad value stops the server naming
 * the variable.
 */
export const datasetLimits: DatasetLimits = datasetLimitsFromEnv(process.env);
