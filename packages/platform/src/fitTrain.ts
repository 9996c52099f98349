import {
  buildTask,
  ensembleSetup,
  integrabilityViolations,
  PointSet,
  positivityViolations,
  type RunTrialOptions,
  selectBackend,
  type Task,
  type TrialSpec,
  trainEnsemble,
} from "@hyperensemble/engine";
import { DEFAULT_POSTFIT_RULE } from "./fitSchema.ts";

/**
 * The numbers of a final fit: the selected configuration trained with R replicas on all the data
 * (no held-out fold; each replica its own training/validation split and pseudo-data), then NNPDF's
 * post-fit selection. Pure (no database): the runner's fit job and bench:fit call it.
 */

/** Post-fit selection rule (NNPDF postfit): what is discarded, and why. */
export interface PostfitRule {
  /** Discard replicas whose χ² to the data is above mean + nσ · std of the replicas' χ². */
  chi2Sigma: number;
  /** Discard replicas with a positivity observable below −tolerance (absent: no check). */
  positivityTolerance: number;
  /** Discard replicas with |x·f(x)| at the smallest grid x above this (absent: no check). */
  integrabilityThreshold?: number;
}

export { DEFAULT_POSTFIT_RULE } from "./fitSchema.ts";

export interface ReplicaStats {
  replica: number;
  /** χ² of the replica's prediction to the central data, all points. */
  chi2: number;
  /** Best validation χ² (its own validation points) and the epoch it was reached: the training length. */
  validationChi2: number;
  trainingEpochs: number;
  /** Most negative positivity observable (0: none negative). */
  positivity: number;
  /** Largest |x·f| at the smallest x over the outputs. */
  integrability: number;
}

export interface PostfitSelection {
  rule: PostfitRule;
  kept: number[];
  /** Discarded replicas by reason (a replica failing several counts under the first: chi2, positivity, integrability). */
  discarded: { chi2: number[]; positivity: number[]; integrability: number[] };
  chi2Threshold: number;
}

export function postfitSelection(
  stats: ReplicaStats[],
  rule: PostfitRule = DEFAULT_POSTFIT_RULE,
): PostfitSelection {
  // the distribution of the finite χ² (a NaN or ∞ replica is discarded, not allowed to poison it)
  const chi2 = stats.map((s) => s.chi2).filter(Number.isFinite);
  const mean = chi2.reduce((a, b) => a + b, 0) / Math.max(1, chi2.length);
  const sd = Math.sqrt(chi2.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, chi2.length - 1));
  const chi2Threshold = mean + rule.chi2Sigma * sd;
  const out: PostfitSelection = {
    rule,
    kept: [],
    discarded: { chi2: [], positivity: [], integrability: [] },
    chi2Threshold,
  };
  for (const s of stats) {
    if (!(s.chi2 <= chi2Threshold)) out.discarded.chi2.push(s.replica);
    else if (s.positivity < -rule.positivityTolerance) out.discarded.positivity.push(s.replica);
    else if (rule.integrabilityThreshold !== undefined && s.integrability > rule.integrabilityThreshold)
      out.discarded.integrability.push(s.replica);
    else out.kept.push(s.replica);
  }
  return out;
}

export interface FitOutcome {
  replicas: ReplicaStats[];
  selection: PostfitSelection;
  /** Model outputs of every replica on the grid, [R][G·F] (index g·F + f), discarded ones included. */
  outputs: number[][];
  x: number[];
  outputNames: string[];
  truth?: number[][];
  /** Of the kept replicas, against the central data: per sub-dataset χ² of the mean prediction, and φ². */
  datasets: { name: string; nPoints: number; chi2: number }[];
  centralChi2: number;
  phi2: number;
  /** Epochs the ensemble ran (its longest-training replica's). */
  epochs: number;
  /** Best parameters per replica in the engine's flat layout (model/layout.ts), and the network. */
  parameters: number[][];
  network: {
    sizes: number[];
    activation: string;
    preprocessing: boolean;
    inputScaling: { mean: number[]; sd: number[] } | null;
  };
}

/** Train and select. `spec.folds` is ignored (a fit holds nothing out). */
export async function trainFit(
  spec: TrialSpec,
  opts: Pick<RunTrialOptions, "onReport" | "signal" | "trainer"> & { task?: Task; rule?: PostfitRule } = {},
): Promise<FitOutcome> {
  await selectBackend(spec.backend);
  const task = opts.task ?? buildTask(spec);
  const { setup } = ensembleSetup({ ...spec, folds: 1 }, task);
  const fit = await (opts.trainer?.train ?? trainEnsemble)(setup, opts);
  const ds = task.dataset;
  const all = new PointSet(
    Array.from({ length: ds.nPoints }, (_, i) => i),
    ds.cov,
  );
  const replicas: ReplicaStats[] = fit.members.map((m, s) => {
    const out = fit.outputs[s]!;
    return {
      replica: m.replica,
      chi2: all.chi2(fit.predictions[s]!, ds.central),
      validationChi2: fit.bestValidationChi2[s]!,
      trainingEpochs: fit.bestEpoch[s]!,
      positivity: Math.min(0, ...positivityViolations(task, out)),
      integrability: Math.max(0, ...integrabilityViolations(task, out)),
    };
  });
  const selection = postfitSelection(replicas, opts.rule);
  const kept = selection.kept.map((r) => fit.members.findIndex((m) => m.replica === r));
  const preds = kept.map((s) => fit.predictions[s]!);
  const meanPred = new Float64Array(ds.nPoints);
  for (const p of preds) for (let i = 0; i < ds.nPoints; i++) meanPred[i]! += p[i]! / preds.length;
  const centralChi2 = preds.length ? all.chi2(meanPred, ds.central) : Number.NaN;
  let spread = 0;
  for (const p of preds) spread += all.chi2(p, meanPred) / preds.length;
  const datasets = ds.subsets.map((sub) => ({
    name: sub.name,
    nPoints: sub.indices.length,
    chi2: preds.length ? new PointSet(sub.indices, ds.cov).chi2(meanPred, ds.central) : Number.NaN,
  }));
  return {
    replicas,
    selection,
    outputs: fit.outputs.map((o) => Array.from(o)),
    x: task.plot.x,
    outputNames: task.outputNames,
    ...(task.plot.truth ? { truth: task.plot.truth } : {}),
    datasets,
    centralChi2,
    phi2: preds.length ? spread : Number.NaN,
    epochs: fit.epochs,
    parameters: fit.parameters.map((p) => Array.from(p)),
    network: {
      sizes: [setup.arch.inputDim, ...setup.arch.hidden, setup.arch.outputDim],
      activation: setup.arch.activation,
      preprocessing: setup.arch.preprocessing !== undefined,
      inputScaling: task.inputScaling ?? null,
    },
  };
}
