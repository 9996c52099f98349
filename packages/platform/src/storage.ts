// The Postgres TrialStorage: the engine's ask/tell storage interface (search/study.ts) over the Trial,
// TrialResult and IntermediateValue tables, so sampling (fillQueue, decentralized proposals,
// external asks) and pruning (runners, external reports) read one history the same way. In the
// manner of Optuna's _CachedStorage, finished trials (COMPLETE, PRUNED: they never change again) are
// cached per study and process; every read re-reads only the trials still pending, so a pruning
// decision costs the pending trials' rows, not the whole study with all its intermediate values.
import type { Db, DbTransaction } from "@hyperensemble/db";
import type { ParamValue, StoredTrial, TrialPatch, TrialStorage } from "@hyperensemble/engine/search";

type Client = Db | DbTransaction;

/** A FAIL trial can be rerun (rerunFailedTrials), so only these are immutable. */
const FINAL = new Set(["COMPLETE", "PRUNED"]);
const MAX_CACHED_STUDIES = 256;

/** Finished trials per study, shared by every store of the process. */
const finishedByStudy = new Map<string, Map<number, StoredTrial>>();

/** Forget a study's cached history (tests; a deleted study). */
export function dropCachedHistory(studyId?: string): void {
  if (studyId === undefined) finishedByStudy.clear();
  else finishedByStudy.delete(studyId);
}

const trialSelect = {
  id: true,
  number: true,
  params: true,
  state: true,
  values: true,
  result: { select: { value: true, L1: true, phi2: true } },
  intermediate: { select: { step: true, value: true }, orderBy: { step: "asc" } },
} as const;

interface TrialRow {
  number: number;
  params: unknown;
  state: StoredTrial["state"];
  values: number[];
  result: { value: number; L1: number; phi2: number } | null;
  intermediate: { step: number; value: number }[];
}

function toStored(row: TrialRow): StoredTrial {
  const stored: StoredTrial = {
    number: row.number,
    params: row.params as StoredTrial["params"],
    state: row.state,
  };
  // A runner's (or a predictions tell's) objective is the result's value; a trial told with scalar
  // values (external, Optuna's tell) has no ensemble result, only its values.
  if (row.result) stored.value = row.result.value;
  else if (row.values.length === 1) stored.value = row.values[0]!;
  if (row.values.length > 1) stored.values = [...row.values];
  // A multi-objective sampler reads `values` ([L1, phi2], studyObjectives); the others ignore it.
  else if (row.result) stored.values = [row.result.L1, row.result.phi2];
  if (row.intermediate.length > 0)
    stored.intermediate = row.intermediate.map((iv) => [iv.step, iv.value] as [number, number]);
  return stored;
}

function copy(t: StoredTrial): StoredTrial {
  return {
    ...t,
    params: { ...t.params },
    ...(t.values ? { values: [...t.values] } : {}),
    ...(t.intermediate ? { intermediate: t.intermediate.map(([s, v]) => [s, v] as [number, number]) } : {}),
  };
}

export class PostgresTrialStorage implements TrialStorage {
  constructor(
    private readonly db: Client,
    private readonly orgId: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    if (!orgId) throw new Error("PostgresTrialStorage needs an orgId");
  }

  async listTrials(studyId: string): Promise<StoredTrial[]> {
    const cached = finishedByStudy.get(studyId) ?? new Map<number, StoredTrial>();
    const rows = (await this.db.trial.findMany({
      where: {
        orgId: this.orgId,
        studyId,
        ...(cached.size ? { number: { notIn: [...cached.keys()] } } : {}),
      },
      select: trialSelect,
      orderBy: { number: "asc" },
    })) as TrialRow[];
    const fresh = rows.map(toStored);
    for (const t of fresh) if (FINAL.has(t.state)) cached.set(t.number, t);
    if (cached.size > 0) {
      if (!finishedByStudy.has(studyId) && finishedByStudy.size >= MAX_CACHED_STUDIES)
        finishedByStudy.clear();
      finishedByStudy.set(studyId, cached);
    }
    const all = [...fresh.filter((t) => !FINAL.has(t.state)), ...cached.values()];
    return all.sort((a, b) => a.number - b.number).map(copy);
  }

  /** A new trial numbered after the study's last (the unique index settles a race: the loser counts again). */
  async createTrial(
    studyId: string,
    params: Record<string, ParamValue>,
    state: "WAITING" | "RUNNING",
  ): Promise<StoredTrial & { id: string }> {
    for (let attempt = 1; ; attempt++) {
      const number = await this.db.trial.count({ where: { orgId: this.orgId, studyId } });
      try {
        return await this.createNumbered(studyId, number, params, state);
      } catch (error) {
        const clash =
          (error as { code?: string }).code === "P2002" || /Unique constraint/i.test(String(error));
        // Inside a transaction a failed statement aborts it: there the caller (under its lock) retries.
        const inTransaction = !("$transaction" in this.db);
        if (!clash || inTransaction || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
      }
    }
  }

  /**
   * createTrial when the caller already knows the next number (fillQueue counts the study's trials
   * under its lock anyway): one statement instead of two while the lock is held.
   */
  async createNumbered(
    studyId: string,
    number: number,
    params: Record<string, ParamValue>,
    state: "WAITING" | "RUNNING",
  ): Promise<StoredTrial & { id: string }> {
    const now = this.now();
    const row = await this.db.trial.create({
      data: {
        orgId: this.orgId,
        studyId,
        number,
        params,
        state,
        queuedAt: now,
        ...(state === "RUNNING" ? { startedAt: now, heartbeatAt: now } : {}),
      },
      select: { id: true, params: true },
    });
    // The params as stored (jsonb): what every later read, and a re-asked trial, returns.
    return { id: row.id, number, params: row.params as StoredTrial["params"], state };
  }

  /** The oldest WAITING trial, moved to RUNNING in one statement (SKIP LOCKED: racing workers take different ones). */
  async claimWaiting(studyId: string): Promise<(StoredTrial & { id: string; attempt: number }) | undefined> {
    const now = this.now();
    const rows = await this.db.$queryRaw<{ id: string; number: number; params: unknown; attempt: number }[]>`
      UPDATE "Trial" SET "state" = 'RUNNING', "startedAt" = ${now}::timestamp(3), "heartbeatAt" = ${now}::timestamp(3),
        "error" = NULL
      WHERE "id" = (SELECT "id" FROM "Trial" WHERE "orgId" = ${this.orgId} AND "studyId" = ${studyId}
          AND "state" = 'WAITING' ORDER BY "number" LIMIT 1 FOR UPDATE SKIP LOCKED)
        AND "state" = 'WAITING'
      RETURNING "id", "number", "params", "attempt"`;
    const row = rows[0];
    if (!row) return undefined;
    return {
      id: row.id,
      attempt: row.attempt,
      number: row.number,
      params: row.params as StoredTrial["params"],
      state: "RUNNING",
    };
  }

  async updateTrial(studyId: string, number: number, patch: TrialPatch): Promise<StoredTrial> {
    const finished = patch.state && patch.state !== "WAITING" && patch.state !== "RUNNING";
    const values = patch.values ?? (patch.value !== undefined ? [patch.value] : undefined);
    const { count } = await this.db.trial.updateMany({
      where: { orgId: this.orgId, studyId, number },
      data: {
        ...(patch.state ? { state: patch.state } : {}),
        ...(values ? { values } : {}),
        ...(finished ? { finishedAt: this.now() } : {}),
      },
    });
    if (count !== 1) throw new Error(`trial ${number} not found in study ${studyId}`);
    if (patch.intermediate) {
      const id = await this.trialId(studyId, number);
      await this.db.intermediateValue.deleteMany({ where: { orgId: this.orgId, trialId: id } });
      for (const [step, value] of patch.intermediate)
        await this.appendIntermediate(studyId, number, step, value);
    }
    return this.readTrial(studyId, number);
  }

  async appendIntermediate(
    studyId: string,
    number: number,
    step: number,
    value: number,
  ): Promise<StoredTrial> {
    const written = await this.db.$executeRaw`
      INSERT INTO "IntermediateValue" ("id", "orgId", "trialId", "step", "value", "attempt")
      SELECT gen_random_uuid()::text, t."orgId", t."id", ${step}, ${value}, t."attempt"
      FROM "Trial" t WHERE t."orgId" = ${this.orgId} AND t."studyId" = ${studyId} AND t."number" = ${number}
      ON CONFLICT ("trialId", "step") DO UPDATE SET "value" = EXCLUDED."value", "attempt" = EXCLUDED."attempt"`;
    if (written !== 1) throw new Error(`trial ${number} not found in study ${studyId}`);
    return this.readTrial(studyId, number);
  }

  private async trialId(studyId: string, number: number): Promise<string> {
    const row = await this.db.trial.findFirst({
      where: { orgId: this.orgId, studyId, number },
      select: { id: true },
    });
    if (!row) throw new Error(`trial ${number} not found in study ${studyId}`);
    return row.id;
  }

  private async readTrial(studyId: string, number: number): Promise<StoredTrial> {
    const row = (await this.db.trial.findFirst({
      where: { orgId: this.orgId, studyId, number },
      select: trialSelect,
    })) as TrialRow | null;
    if (!row) throw new Error(`trial ${number} not found in study ${studyId}`);
    return toStored(row);
  }
}
