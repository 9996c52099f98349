export {
  assertTenantQuery,
  type CreateDbOptions,
  createDb,
  type Db,
  type DbTransaction,
  findUserForLogin,
  isTenantModel,
  type LoginUser,
  scopedDb,
  TENANT_MODELS,
  TenantGuardError,
  type TenantModel,
} from "./client.ts";
export * from "./generated/prisma/client.ts";
export {
  closeMembershipPool,
  extendSession,
  type OrgMembership,
  orgMembership,
  type SessionState,
  sessionState,
  type UserMembership,
  userMemberships,
} from "./membership.ts";
export { migrateDatabase, runPrismaCli } from "./migrate.ts";
export {
  type AcquireOutcome,
  type AttemptRecord,
  acquireTrial,
  claimTrial,
  claimWaitingTrial,
  completeTrial,
  failTrial,
  heartbeatTrial,
  NonFiniteResultError,
  pruneTrial,
  type ReapedTrial,
  reapStaleTrials,
  reportIntermediateValue,
  type TrialResultData,
} from "./trials.ts";
export {
  databaseUrl,
  EMBEDDED_DEFAULTS,
  embeddedUrl,
  parseDatabaseUrl,
  repoRoot,
  withDatabase,
} from "./url.ts";
