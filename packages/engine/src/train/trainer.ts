/**
 * The TF.js trainer: the device-neutral host (host.ts) on the TF.js kernel (kernel/tfjs.ts), the
 * numerical reference every other kernel is checked against. The trainer's types live in members.ts.
 */

import { createTfjsKernel, tfjsKernelBackend } from "../kernel/tfjs.ts";
import { parameterLayout } from "../model/mlp.ts";
import { type PackedTrial, trainOn, trainPackedOn } from "./host.ts";
import { buildMembers, type EnsembleFit, type EnsembleSetup, type TrainingOptions } from "./members.ts";

export type { PackedTrial } from "./host.ts";
export {
  buildMembers,
  type EnsembleFit,
  type EnsembleSetup,
  type EpochReport,
  type Member,
  memberCount,
  packConflict,
  type TrainingOptions,
  TrialCancelledError,
  TrialPrunedError,
} from "./members.ts";

/** Train K folds × R replicas stacked on one axis, with per-member early stopping, on TF.js. */
export function trainEnsemble(setup: EnsembleSetup, opts: TrainingOptions = {}): Promise<EnsembleFit> {
  return trainOn(tfjsKernelBackend, setup, opts);
}

/** Several packable trials (host.ts trainPackedOn) as one stacked program on TF.js. */
export function trainPacked(trials: PackedTrial[]): Promise<EnsembleFit>[] {
  return trainPackedOn(tfjsKernelBackend, trials);
}

/**
 * The batched training loss Σ_s chi2_train,s (+ positivity) and its gradient at given parameters
 * ([S][P] rows, member order of buildMembers), through the same graph the TF.js kernel steps with.
 */
export function lossAndGradient(
  setup: EnsembleSetup,
  params: Float32Array,
): { loss: number; grad: Float32Array } {
  const lambda = setup.positivity ?? 0;
  const kernel = createTfjsKernel({
    task: setup.task,
    arch: setup.arch,
    layout: parameterLayout(setup.arch),
    optimiser: setup.optimiser.name,
    members: buildMembers(setup).map((member) => ({
      member,
      settings: { optimiser: setup.optimiser, dropout: 0, dropoutSeed: 0, positivity: lambda, patience: 1 },
    })),
    params,
  });
  try {
    const g = kernel.gradientNow();
    let loss = 0;
    g.train.forEach((t, s) => {
      loss += t + lambda * g.penalty[s]!;
    });
    return { loss, grad: Float32Array.from(g.grad) };
  } finally {
    kernel.dispose();
  }
}
