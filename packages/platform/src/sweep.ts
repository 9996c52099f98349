import type { Db } from "@hyperensemble/db";
import { fillQueue, type TrialEnqueuer } from "./study.ts";

export interface SweepOptions {
  /** At most this many studies of one organisation per sweep (its oldest with an open slot). */
  perOrg?: number;
  /** At most this many studies per sweep, across organisations (a bounded read). */
  maxStudies?: number;
  /** A study whose fill threw: logged by the caller, then skipped. Default: console.warn. */
  onError?: (study: { id: string; orgId: string }, error: unknown) => void;
}

export interface SweepOutcome {
  /** Trials created across the sweep. */
  created: number;
  /** Studies filled (with or without new trials). */
  filled: number;
  /** Studies whose fill threw (skipped). */
  failed: number;
}

/**
 * Top up the active studies: a study held back by its organisation's admission limit, or whose
 * follow-up fill was lost with a crashed runner, gets its slots when they free up. Fair between
 * organisations: the studies are read round-robin (every organisation's oldest open study, then
 * every organisation's second, ...), at most `perOrg` per organisation and `maxStudies` in all, so an
 * organisation with thousands of old studies cannot push another's out of the sweep. A study whose
 * fill throws (a corrupt search space, a lock timeout) is reported and skipped: it never stops the
 * sweep. A system sweep across organisations, hence raw SQL past the tenant guard.
 */
export async function fillActiveStudies(
  db: Db,
  enqueuer: TrialEnqueuer,
  now: Date = new Date(),
  options: SweepOptions = {},
): Promise<SweepOutcome> {
  const perOrg = options.perOrg ?? 10;
  const maxStudies = options.maxStudies ?? 1_000;
  const onError =
    options.onError ??
    ((study, error) =>
      console.warn(`fillActiveStudies: study ${study.id} (org ${study.orgId}) skipped: ${String(error)}`));
  // Only studies with an open slot (or nothing pending: maybe complete) are worth a locked fill.
  const studies = await db.$queryRaw<{ id: string; orgId: string }[]>`
    SELECT r."id", r."orgId" FROM (
      SELECT s."id", s."orgId", s."createdAt",
             row_number() OVER (PARTITION BY s."orgId" ORDER BY s."createdAt", s."id") AS "rank"
      FROM "Study" s
      LEFT JOIN LATERAL (
        SELECT count(*) AS total, count(*) FILTER (WHERE t."state" IN ('WAITING', 'RUNNING')) AS pending
        FROM "Trial" t WHERE t."studyId" = s."id") c ON true
      WHERE s."state" IN ('QUEUED', 'RUNNING')
        AND ((c.pending < s."parallelism" AND c.total < s."maxTrials") OR c.pending = 0)) r
    WHERE r."rank" <= ${perOrg}
    ORDER BY r."rank", r."createdAt", r."id" LIMIT ${maxStudies}`;
  const outcome: SweepOutcome = { created: 0, filled: 0, failed: 0 };
  for (const s of studies) {
    try {
      outcome.created += (await fillQueue(db, enqueuer, { orgId: s.orgId, studyId: s.id }, now)).created;
      outcome.filled += 1;
    } catch (error) {
      outcome.failed += 1;
      onError(s, error);
    }
  }
  return outcome;
}
