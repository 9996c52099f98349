// What a user reads in Trial.error. Engine errors (invalid configuration, dataset, pruned, cancelled,
// time limit) are meant for users and stay readable; errors of the platform's own storage (Prisma,
// the pg driver, SQL) carry table, column and constraint names: the user gets a generic reason with a
// reference, the operator's log the detail under the same reference.
import { randomBytes } from "node:crypto";

const SQLSTATE = /^[0-9A-Z]{5}$/;
const PRISMA_CODE = /^P\d{4}$/;
const STORAGE_TEXT =
  /prisma|invocation|violates|constraint|relation "|column "|syntax error|SQLSTATE|null value in/i;

/** An error of the database layer (Prisma, driver adapter, Postgres), not of the trial itself. */
export function isInternalError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && (PRISMA_CODE.test(code) || SQLSTATE.test(code))) return true;
  if (/^(PrismaClient|DriverAdapterError)/.test(err.name)) return true;
  return STORAGE_TEXT.test(err.message);
}

/**
 * The reason stored for a failed trial: the error's own message for engine errors; for internal
 * ones a generic reason with a reference, the detail logged with that reference.
 */
export function userFacingError(
  err: unknown,
  ctx: { trialId: string; saving: boolean; log?: (line: string) => void },
): string {
  const message = err instanceof Error ? err.message : String(err);
  if (!isInternalError(err)) return message;
  const ref = randomBytes(4).toString("hex");
  (ctx.log ?? console.error)(`[trial ${ctx.trialId}] internal error, ref ${ref}: ${message}`);
  const where = ctx.saving ? "while saving the result" : "while running the trial";
  return `internal error ${where}; the operator's log has the details, ref ${ref}`;
}

/** The reason of a trial stopped by its wall-clock limit (it is not retried). */
export function timeLimitReason(seconds: number): string {
  return `time limit: the trial was still running after ${seconds} s (maxTrialSeconds) and was stopped; it is not retried`;
}
