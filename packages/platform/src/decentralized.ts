// Asynchronous decentralized BO (METHOD.md §6, DeepHyper): no central sampler. Each runner keeps its
// own DBO sampler (random-forest surrogate, UCB with its own kappa ~ Exp(scale 1.96) drawn from its
// worker id), reads the study's whole history from Postgres, and proposes its next configuration
// itself, outside any lock, while its current trial still runs. Only the admission of the proposal
// (number, budget, parallelism) is serialised, by fillQueue.
import { randomUUID } from "node:crypto";
import type { Db } from "@hyperensemble/db";
import {
  createSampler,
  type ParamValue,
  parseSearchSpace,
  type Sampler,
  type SamplerConfig,
  type SearchSpace,
  type StoredTrial,
  workerKappa,
} from "@hyperensemble/engine/search";
import { decentralizedSamplerConfig, type StudySearchRow } from "./search-spec.ts";
import { PostgresTrialStorage } from "./storage.ts";
import { isNumberClash } from "./study.ts";
import { warmStartHistory } from "./warmStart.ts";

export interface ProposalHistory {
  space: SearchSpace;
  seed: number;
  trials: StoredTrial[];
  /** The study's sampler settings: a `dbo` study's options reach every worker. */
  search?: StudySearchRow;
}

/** A snapshot of the study's shared history: every trial, pending ones included (as "busy"). */
export async function readProposalHistory(
  db: Db,
  ref: { orgId: string; studyId: string },
): Promise<ProposalHistory | null> {
  const study = await db.study.findFirst({
    where: { id: ref.studyId, orgId: ref.orgId },
    select: {
      searchSpace: true,
      seed: true,
      sampler: true,
      samplerOptions: true,
      scheduler: true,
      schedulerOptions: true,
      mode: true,
      warmStart: true,
    },
  });
  if (!study) return null;
  const trials = await new PostgresTrialStorage(db, ref.orgId).listTrials(ref.studyId);
  const { searchSpace, seed, warmStart, ...search } = study;
  return {
    space: parseSearchSpace(searchSpace),
    seed,
    trials: [...warmStartHistory(warmStart), ...trials],
    search,
  };
}

const samplers = new Map<string, Sampler>();

/**
 * This worker's next configuration: its own DBO sampler (cached per study and worker, so its kappa
 * stays fixed for the worker's life) asked with the shared history.
 */
export function decentralizedProposal(
  history: ProposalHistory,
  workerId: string,
  studyId: string,
): { params: Record<string, ParamValue>; kappa: number } {
  const key = `${studyId}:${workerId}`;
  const config = decentralizedSamplerConfig(
    history.search ?? {
      sampler: "dbo",
      samplerOptions: {},
      scheduler: "none",
      schedulerOptions: {},
      mode: "decentralized",
    },
    history.seed,
    workerId,
  ) as Extract<SamplerConfig, { name: "dbo" }>;
  let sampler = samplers.get(key);
  if (!sampler) {
    if (samplers.size > 256) samplers.clear();
    sampler = createSampler(config);
    samplers.set(key, sampler);
  }
  return {
    params: sampler.ask(history.space, history.trials),
    kappa: config.kappa ?? workerKappa(history.seed >>> 0, workerId, config.kappaScale),
  };
}

/**
 * Admit a runner's proposal as the study's next trial in ONE statement, without the study lock:
 * its number is the study's trial count, taken in the same statement that checks the budget,
 * parallelism and study state. Two runners racing compute the same number, and the unique
 * (studyId, number) index lets one insert win; the loser retries on a fresh count. Numbers stay
 * dense and unique and the budget exact; the serialised part is one index insert, not a locked
 * transaction, which is what lets the decentralized mode scale past the centralised sampler.
 * Returns the new trial's id, or null when there is no slot (the caller falls back to fillQueue,
 * which also completes a finished study).
 */
export async function admitProposal(
  db: Db,
  ref: { orgId: string; studyId: string },
  params: Record<string, ParamValue>,
  now: Date = new Date(),
): Promise<string | null> {
  const json = JSON.stringify(params);
  for (let attempt = 0; attempt < 5; attempt++) {
    const id = randomUUID();
    try {
      const rows = await db.$queryRaw<{ id: string }[]>`
        INSERT INTO "Trial" ("id", "orgId", "studyId", "number", "params", "queuedAt")
        SELECT ${id}, s."orgId", s."id", c.total, ${json}::jsonb, ${now}::timestamp(3)
        FROM "Study" s
        CROSS JOIN LATERAL (
          SELECT count(*)::int AS total,
                 (count(*) FILTER (WHERE t."state" IN ('WAITING', 'RUNNING')))::int AS pending
          FROM "Trial" t WHERE t."studyId" = s."id") c
        WHERE s."id" = ${ref.studyId} AND s."orgId" = ${ref.orgId}
          AND s."state" IN ('QUEUED', 'RUNNING')
          AND c.total < s."maxTrials" AND c.pending < s."parallelism"
          AND (s."maxGpuSeconds" IS NULL OR s."gpuSeconds" < s."maxGpuSeconds")
          AND (s."maxWallSeconds" IS NULL OR s."startedAt" IS NULL
               OR s."startedAt" + s."maxWallSeconds" * interval '1 second' > ${now}::timestamp(3))
        RETURNING "id"`;
      return rows[0]?.id ?? null;
    } catch (error) {
      if (!isNumberClash(error)) throw error;
    }
  }
  return null;
}
