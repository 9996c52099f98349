export {
  addTrials,
  cancelStudy,
  enqueueConfigurations,
  pauseStudy,
  rerunFailedTrials,
  resumeStudy,
  type StudyRef,
  StudyStateError,
} from "./control.ts";
export {
  admitProposal,
  decentralizedProposal,
  type ProposalHistory,
  readProposalHistory,
} from "./decentralized.ts";
export { deleteStudy } from "./deleteStudy.ts";
export { DEMO_ORG, DEMO_STUDY, DEMO_USER, seedDemo } from "./demo.ts";
export {
  EVENT_PAGE,
  EVENT_TYPES,
  type EventType,
  type LoggedEvent,
  latestEventId,
  parseEventId,
  pruneEventLog,
  readEvents,
} from "./eventLog.ts";
export { EVENTS_CHANNEL, notifyStudy, type StudyEvent } from "./events.ts";
export {
  type AskOutcome,
  askTrial,
  ExternalTrialError,
  heartbeatLease,
  LEASE_SECONDS,
  reapLapsedLeases,
  reportExternal,
  type TellInput,
  tellTrial,
} from "./external.ts";
export { type Chi2Tell, ExternalInputError, type PredictionsTell, studyPoints } from "./externalScore.ts";
export {
  createFit,
  type FitSummary,
  fitExport,
  fitOutcomeSummary,
  nextQueuedFit,
  type RunFitOptions,
  requeueStaleFits,
  runFit,
} from "./fit.ts";
export {
  type FitArtifactView,
  type FitBands,
  type FitDistance,
  fitBands,
  fitDistance,
  type OutputBand,
} from "./fitBands.ts";
export { type FitEvaluation, fitEvaluate } from "./fitEvaluate.ts";
export { evaluateWeights, type FitWeights, fitWeights } from "./fitWeights.ts";
export {
  cappedSeconds,
  checkStudySize,
  LIMIT_DEFAULTS,
  LIMIT_NAMES,
  type LimitName,
  type Limits,
  limitsFromEnv,
  orgActiveLimit,
  orgLimits,
  type ResolvedLimits,
  StudyLimitError,
  setOrgLimits,
  studyModelShape,
  trialCompute,
} from "./limits.ts";
export * from "./outcome.ts";
export { hashPassword, verifyPassword } from "./password.ts";
export * from "./schema.ts";
export * from "./search-spec.ts";
export { dropCachedHistory, PostgresTrialStorage } from "./storage.ts";
export { checkStorageQuota, jsonBytes, StorageQuotaError, storedBytes } from "./storageQuota.ts";
export {
  createStudy,
  type EnqueueOptions,
  type FillOptions,
  type FillOutcome,
  FixedSettingsError,
  fillQueue,
  finalState,
  isNumberClash,
  requeueWaitingTrials,
  type SearchMode,
  StudyInputError,
  type TrialEnqueuer,
  type TrialJob,
} from "./study.ts";
export {
  parseStudyRow,
  type StoredTask,
  StudyRowError,
  storedTaskSchema,
  type TypedStudy,
} from "./studyRow.ts";
export { fillActiveStudies, type SweepOptions, type SweepOutcome } from "./sweep.ts";
export { buildTrialSpec, type StudyRow, trialParams, trialSeed } from "./trialSpec.ts";
export { type WarmStartPoint, warmStartHistory } from "./warmStart.ts";
export {
  checkWebhookUrl,
  deliverDueWebhooks,
  enqueueWebhookDeliveries,
  generateWebhookSecret,
  isPrivateAddress,
  MAX_WEBHOOKS_PER_ORG,
  retryDelayMs,
  signWebhook,
  startWebhookWorker,
  verifyWebhook,
  WEBHOOK_DELIVERY_HEADER,
  WEBHOOK_EVENT_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
  WebhookUrlError,
  type WebhookWorkerOptions,
} from "./webhooks.ts";
