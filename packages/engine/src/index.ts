export { type BackendName, backendPreference, selectBackend } from "./backend.ts";
export { BlockMatrix, PointSet } from "./data/covariance.ts";
export {
  buildDataset,
  checkDatasetLimits,
  type Dataset,
  DatasetError,
  type DatasetJson,
  datasetJsonSchema,
  parseDatasetJson,
} from "./data/dataset.ts";
export {
  DatasetLimitError,
  type DatasetLimits,
  DEFAULT_DATASET_LIMITS,
  datasetLimitsFromEnv,
  datasetLimitVariables,
} from "./data/limits.ts";
export { NpyError, readNpy, readNpz, writeNpy, writeNpz } from "./data/npy.ts";
export { assignFolds, pseudoData, trainingSplit } from "./data/replicas.ts";
export {
  buildDatasetOffThread,
  type DatasetValidation,
  INLINE_VALIDATION_WORK,
  prepareTheoryOffThread,
  validateDataset,
} from "./data/validate.ts";
export { type Distribution, demoSearchSpace, demoTrialDefaults } from "./demo.ts";
export { type EnsembleScore, scoreFoldPredictions } from "./estimators/ensemble.ts";
export {
  averageBest,
  closureEstimators,
  type FoldStatistic,
  foldEstimators,
  foldStatistic,
  L3_MAX,
  l3FromPhi2,
  PHI2_FLOOR,
  phi2Spread,
  selectConfiguration,
  trialLosses,
} from "./estimators/estimators.ts";
export {
  PHYSICS_LIMITS,
  type PhysicsFields,
  physicsFieldsSchema,
  type SubsetChi2,
  subsetChi2,
} from "./estimators/physics.ts";
export * from "./hyperparameters.ts";
export type { KernelBackend, KernelKind, KernelSpec, TrainingKernel } from "./kernel/kernel.ts";
export {
  type EngineTrainer,
  engineTrainer,
  loadCpuKernelBackend,
  selectTrainer,
  type TrainerChoice,
  trainerChoices,
} from "./kernel/select.ts";
export { cholesky } from "./linalg.ts";
export { type ParameterLayout, parameterLayout } from "./model/layout.ts";
export {
  architectureKey,
  type PackedTrialResult,
  type PackingInfo,
  packKey,
  planPacks,
  runTrials,
  trialMembers,
} from "./packing.ts";
export { deriveSeed, TrialRng } from "./rng.ts";
export {
  type ParamValue,
  parseTrialSpec,
  type TrialSpec,
  TrialSpecError,
  trialSpecSchema,
} from "./spec.ts";
export { buildClosureTask } from "./tasks/closure.ts";
export { buildTabularTask, buildTabularTaskOffThread, csvToDatasetJson } from "./tasks/tabular.ts";
export { standardisation, type Task } from "./tasks/task.ts";
export {
  buildTheoryTask,
  buildTheoryTaskOffThread,
  checkTheory,
  integrabilityViolations,
  isTheorySource,
  positivityViolations,
  type TheorySource,
  theoryJson,
  theorySourceSchema,
} from "./tasks/theory.ts";
export { theoryFromNpyFiles, theoryFromNpz } from "./tasks/theoryArrays.ts";
export { syntheticTheory } from "./tasks/theorySynthetic.ts";
export {
  prepareTheoryUpload,
  type TheorySummary,
  TheoryUploadError,
  type TheoryUploadSource,
  theorySummary,
} from "./tasks/theoryUpload.ts";
export { trainOn, trainPackedOn } from "./train/host.ts";
export {
  packConflict,
  TrialCancelledError,
  TrialPrunedError,
  trainEnsemble,
  trainPacked,
} from "./train/trainer.ts";
export {
  buildTask,
  dataComparison,
  ensembleSetup,
  type PredictionBand,
  type RunTrialOptions,
  runTrial,
  scoreEnsemble,
  type TrialReport,
  type TrialResult,
  trainTrial,
} from "./trial.ts";
export {
  getWebGpu,
  WebGpuEnsemble,
  type WebGpuEnsembleSpec,
  WebGpuUnavailableError,
} from "./webgpu/index.ts";
export { trainEnsembleWebGpu, type WebGpuTrainingOptions, webGpuTrainer } from "./webgpu/trainer.ts";
