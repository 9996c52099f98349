// Asynchronous decentralized BO (METHOD.md §6, DeepHyper): no central sampler. Each runner keeps its
// own DBO sampler (random-forest surrogate, UCB with its own kappa ~ Exp(scale 1.96) drawn from its
// worker id), reads the study's whole history from Postgres, and proposes its next configuration
// itself, outside any lock, while its current trial still runs. Only the admission of the proposal
// (number, budget, parallelism) is serialised, by fillQueue.
import type { Db } from "@hyperensemble/db";
import {
  createSampler,
  type ParamValue,
  parseSearchSpace,
  type Sampler,
  type SearchSpace,
  type StoredTrial,
  workerKappa,
} from "@hyperensemble/engine/search";

export interface ProposalHistory {
  space: SearchSpace;
  seed: number;
  trials: StoredTrial[];
}

/** A snapshot of the study's shared history: every trial, pending ones included (as "busy"). */
export async function readProposalHistory(
  db: Db,
  ref: { orgId: string; studyId: string },
): Promise<ProposalHistory | null> {
  const study = await db.study.findFirst({
    where: { id: ref.studyId, orgId: ref.orgId },
    select: { searchSpace: true, seed: true },
  });
  if (!study) return null;
  const rows = await db.trial.findMany({
    where: { orgId: ref.orgId, studyId: ref.studyId },
    select: { number: true, params: true, state: true, result: { select: { value: true } } },
    orderBy: { number: "asc" },
  });
  const trials = rows.map((t) => {
    const stored: StoredTrial = {
      number: t.number,
      params: t.params as StoredTrial["params"],
      state: t.state,
    };
    if (t.result) stored.value = t.result.value;
    return stored;
  });
  return { space: parseSearchSpace(study.searchSpace), seed: study.seed, trials };
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
  let sampler = samplers.get(key);
  if (!sampler) {
    if (samplers.size > 256) samplers.clear();
    sampler = createSampler({ name: "dbo", seed: history.seed >>> 0, workerId, surrogate: "rf" });
    samplers.set(key, sampler);
  }
  return {
    params: sampler.ask(history.space, history.trials),
    kappa: workerKappa(history.seed >>> 0, workerId),
  };
}
