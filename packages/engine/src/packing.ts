// Trial packing: several small trials with the same task, architecture and optimiser kind trained as
// one stacked program (trainPacked), each scored exactly as runTrial scores it alone.
import { selectBackend } from "./backend.ts";
import { parseHyperparameters, parseTrialSpec, type TrialSpec } from "./spec.ts";
import { trainPacked } from "./train/trainer.ts";
import { buildTask, ensembleSetup, type RunTrialOptions, scoreEnsemble, type TrialResult } from "./trial.ts";

/** How a trial ran: how many trials and stacked members shared its program. */
export interface PackingInfo {
  trials: number;
  members: number;
}

export type PackedTrialResult = TrialResult & { packing: PackingInfo };

/**
 * Trials with equal keys can share one program: same task (data), layer sizes, activation,
 * optimiser kind and backend. Everything else (seeds, replicas, folds, learning rate, clipnorm,
 * momentum, dropout, initializer, patience, epochs, positivity, training fraction) may differ.
 */
export function packKey(specInput: TrialSpec): string {
  const spec = parseTrialSpec(specInput);
  return JSON.stringify([spec.task, spec.backend ?? null, architectureKey(spec.params)]);
}

/**
 * The part of packKey that the hyperparameters decide (layer sizes, activation, optimiser kind):
 * enough to compare trials of one study, which share task and backend. Throws on invalid params.
 */
export function architectureKey(params: TrialSpec["params"]): string {
  const hp = parseHyperparameters(params);
  return JSON.stringify([hp.hidden, hp.activation, hp.optimizer]);
}

/** Stacked members of a trial (folds × replicas). */
export function trialMembers(spec: Pick<TrialSpec, "replicas" | "folds">): number {
  return spec.replicas * spec.folds;
}

/**
 * Group trials into packs: trials of one key, in order, while the pack's members stay within
 * `maxMembers` (a trial larger than that runs alone). Returns indices into `specs`.
 */
export function planPacks(specs: TrialSpec[], maxMembers: number): number[][] {
  const packs: { key: string; members: number; trials: number[] }[] = [];
  specs.forEach((spec, i) => {
    const key = packKey(spec);
    const m = trialMembers(spec);
    const open = packs.find((p) => p.key === key && p.members + m <= maxMembers);
    if (open) {
      open.members += m;
      open.trials.push(i);
    } else packs.push({ key, members: m, trials: [i] });
  });
  return packs.map((p) => p.trials);
}

/**
 * Train several packable trials (equal packKey) as one program. One promise per trial, settling as
 * soon as that trial ends: its result as runTrial would give it, or its own TrialPrunedError /
 * TrialCancelledError / onReport failure (the other trials go on).
 */
export function runTrials(
  specInputs: TrialSpec[],
  opts: RunTrialOptions[] = [],
): Promise<PackedTrialResult>[] {
  const started = performance.now();
  const specs = specInputs.map((s) => parseTrialSpec(s));
  const keys = new Set(specs.map(packKey));
  if (keys.size > 1)
    throw new Error("runTrials: the trials differ in task, architecture, optimiser or backend");
  const trainer = opts[0]?.trainer;
  if (specs.some((_, i) => opts[i]?.trainer !== trainer))
    throw new Error("runTrials: every packed trial must use the same trainer");
  if (trainer && !trainer.trainPacked)
    throw new Error(`runTrials: trainer ${trainer.name} cannot pack trials`);
  const packing: PackingInfo = {
    trials: specs.length,
    members: specs.reduce((n, s) => n + trialMembers(s), 0),
  };
  const prepared = (async () => {
    const backend = await selectBackend(specs[0]!.backend);
    // the trials share one task (equal packKey): a task built by the caller is reused
    const task = opts.find((o) => o?.task)?.task ?? buildTask(specs[0]!);
    const setups = specs.map((spec) => ensembleSetup(spec, task));
    const pack = setups.map((s, i) => ({ setup: s.setup, opts: opts[i] ?? {} }));
    const fits = trainer?.trainPacked ? trainer.trainPacked(pack) : trainPacked(pack);
    return { backend: trainer?.name ?? backend, task, setups, fits };
  })();
  const results = specs.map((_, i) =>
    prepared.then(async ({ backend, task, setups, fits }) => {
      const fit = await fits[i]!;
      const { setup, averageBest } = setups[i]!;
      return {
        ...scoreEnsemble(task, setup, fit, averageBest),
        epochs: fit.epochs,
        backend,
        durationSeconds: (performance.now() - started) / 1000,
        packing,
      };
    }),
  );
  // each trial's rejection is handled where its caller awaits it (see trainPacked)
  for (const r of results) r.catch(() => undefined);
  return results;
}
