import type { Db } from "@hyperensemble/db";
import { storedBytes } from "@hyperensemble/platform";

export interface MonthUsage {
  /** First day of the month, UTC (YYYY-MM). */
  month: string;
  trials: number;
  /** Runner wall time of the trials that finished that month. */
  runnerSeconds: number;
  /** Bytes of datasets uploaded that month (as stored). */
  datasetBytes: number;
}

export interface OrgUsage {
  months: MonthUsage[];
  /** What the organisation stores now (platform storedBytes: datasets, trial results, fits); the quota's measure. */
  storageBytes: number;
}

/**
 * Usage per calendar month (UTC) for the last `months` months: trials created, runner time of the
 * trials that finished, dataset bytes uploaded; and the storage held now. `orgIds` null: every org.
 */
export async function orgUsage(
  db: Db,
  orgIds: string[] | null,
  months: number,
  now = new Date(),
): Promise<OrgUsage> {
  const since = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - (months - 1), 1));
  const all = orgIds === null;
  const ids = orgIds ?? [];
  const trials = await db.$queryRaw<{ month: string; n: bigint }[]>`
    SELECT to_char("queuedAt", 'YYYY-MM') AS month, count(*) AS n FROM "Trial"
    WHERE (${all} OR "orgId" = ANY(${ids})) AND "queuedAt" >= ${since} GROUP BY 1`;
  const runner = await db.$queryRaw<{ month: string; s: number | null }[]>`
    SELECT to_char("finishedAt", 'YYYY-MM') AS month,
           sum(extract(epoch FROM ("finishedAt" - "startedAt")))::float8 AS s FROM "Trial"
    WHERE (${all} OR "orgId" = ANY(${ids})) AND "finishedAt" >= ${since} AND "startedAt" IS NOT NULL GROUP BY 1`;
  const data = await db.$queryRaw<{ month: string; b: bigint | null }[]>`
    SELECT to_char("createdAt", 'YYYY-MM') AS month, sum(pg_column_size("data") + pg_column_size("summary")) AS b
    FROM "Dataset" WHERE (${all} OR "orgId" = ANY(${ids})) AND "createdAt" >= ${since} GROUP BY 1`;
  const key = (d: Date) => d.toISOString().slice(0, 7);
  const out: MonthUsage[] = [];
  for (let i = 0; i < months; i++) {
    const d = new Date(Date.UTC(since.getUTCFullYear(), since.getUTCMonth() + i, 1));
    out.push({ month: key(d), trials: 0, runnerSeconds: 0, datasetBytes: 0 });
  }
  const byMonth = new Map(out.map((m) => [m.month, m]));
  for (const r of trials) {
    const m = byMonth.get(r.month);
    if (m) m.trials = Number(r.n);
  }
  for (const r of runner) {
    const m = byMonth.get(r.month);
    if (m) m.runnerSeconds = Math.round((r.s ?? 0) * 10) / 10;
  }
  for (const r of data) {
    const m = byMonth.get(r.month);
    if (m) m.datasetBytes = Number(r.b ?? 0);
  }
  return { months: out, storageBytes: await storedBytes(db, orgIds) };
}
