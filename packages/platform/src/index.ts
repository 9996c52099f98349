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
export { DEMO_ORG, DEMO_STUDY, DEMO_USER, seedDemo } from "./demo.ts";
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
export { hashPassword, verifyPassword } from "./password.ts";
export * from "./schema.ts";
export { dropCachedHistory, PostgresTrialStorage } from "./storage.ts";
export {
  createStudy,
  type EnqueueOptions,
  type FillOptions,
  type FillOutcome,
  fillQueue,
  isNumberClash,
  requeueWaitingTrials,
  type SearchMode,
  StudyInputError,
  type TrialEnqueuer,
  type TrialJob,
} from "./study.ts";
export { fillActiveStudies, type SweepOptions, type SweepOutcome } from "./sweep.ts";
export { buildTrialSpec, type StudyRow, trialSeed } from "./trialSpec.ts";
