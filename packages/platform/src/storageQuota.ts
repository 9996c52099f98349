// What an organisation stores, in one measure, and the per-organisation quota on it (limits.ts
// maxStorageBytes). The usage page, the admin pages and the quota check all read storedBytes, so the
// figure a user sees is the figure the quota compares.
import type { Db, DbTransaction } from "@hyperensemble/db";

type Client = Db | DbTransaction;

import { orgLimits } from "./limits.ts";

/**
 * Bytes stored now by the given organisations (null: every organisation), as Postgres keeps them
 * (pg_column_size, so after its compression): datasets and theories (points and summary), trial
 * results (predictions included) and fits (outcome and the artifact the exports are built from).
 */
export async function storedBytes(db: Client, orgIds: string[] | null): Promise<number> {
  const all = orgIds === null;
  const ids = orgIds ?? [];
  const [row] = await db.$queryRaw<{ b: bigint | null }[]>`
    SELECT (SELECT coalesce(sum(pg_column_size("data") + pg_column_size("summary")), 0) FROM "Dataset"
             WHERE ${all} OR "orgId" = ANY(${ids}))
         + (SELECT coalesce(sum(pg_column_size(r.*)), 0) FROM "TrialResult" r
             WHERE ${all} OR r."orgId" = ANY(${ids}))
         + (SELECT coalesce(sum(coalesce(pg_column_size("outcome"), 0) + coalesce(pg_column_size("artifact"), 0)), 0)
             FROM "Fit" WHERE ${all} OR "orgId" = ANY(${ids})) AS b`;
  return Number(row?.b ?? 0);
}

/**
 * The bytes a dataset row's JSON columns will take, measured by Postgres before anything is stored:
 * pg_column_size of the values as given, before compression, so never less than the row will count
 * in storedBytes once stored.
 */
export async function jsonBytes(db: Client, ...values: unknown[]): Promise<number> {
  let total = 0;
  for (const value of values) {
    const [row] = await db.$queryRaw<
      { b: number }[]
    >`SELECT pg_column_size(${JSON.stringify(value)}::jsonb) AS b`;
    total += Number(row?.b ?? 0);
  }
  return total;
}

/** An upload (or a fit) refused by the organisation's storage quota; the message names both figures. */
export class StorageQuotaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StorageQuotaError";
  }
}

const bytes = (n: number) => {
  const text = `${n.toLocaleString("en-US", { maximumFractionDigits: 0 })} bytes`;
  return n >= 1024 ** 2 ? `${text} (${(n / 1024 ** 2).toFixed(1)} MiB)` : text;
};

/**
 * Refuse storing `adding` more bytes when the organisation would pass its storage quota. Call it in
 * the transaction that stores them: it takes a per-organisation lock first, so two uploads at once
 * cannot both fit in the room left for one. `what` names the thing stored ("this upload"). With
 * `stored`, the transaction has already written those bytes (measured as stored), so storedBytes
 * counts them once: the caller's rollback on refusal keeps nothing.
 */
export async function checkStorageQuota(
  db: Client,
  orgId: string,
  adding: number,
  what: string,
  opts: { stored?: boolean } = {},
): Promise<void> {
  await db.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`storage:${orgId}`}))`;
  const { limits, source } = await orgLimits(db, orgId);
  const quota = limits.maxStorageBytes;
  const stored = (await storedBytes(db, [orgId])) - (opts.stored ? adding : 0);
  // A fit's artifact is measured only when it is stored: refuse a new one once the quota is reached.
  if (stored + adding <= quota && !(adding === 0 && stored >= quota)) return;
  const needs = adding > 0 ? `${what} needs ${bytes(adding)} and ` : `${what}: `;
  throw new StorageQuotaError(
    `storage quota (maxStorageBytes): ${needs}the organisation stores ${bytes(stored)} of its quota of ` +
      `${bytes(quota)} (${source.maxStorageBytes}); nothing was stored. ` +
      "Delete datasets, studies or fits, or ask a platform admin to raise the quota",
  );
}
