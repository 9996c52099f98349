/**
 * trainEnsemble (train/trainer.ts) on a WebGPU device: the same members (folds × replicas, their
 * pseudo-data and training/validation splits), initial parameters, chi2 loss, optimiser, per-member
 * early stopping with best-weights tracking, epoch reports with pruning, and the returned EnsembleFit,
 * so that runTrial scores it unchanged. Selected explicitly (runTrial's `trainer` option, see
 * `webGpuTrainer`); TF.js stays the default.
 *
 * Early stopping runs on the device (optimise.ts with `stopping`): the CPU reads the
 * members' state back only at report points (and every `maxEpochsPerReadback` epochs, to notice
 * cancellation and the end of training). When every member has stopped between two readbacks, the
 * device runs the remaining epochs of the batch with every member frozen, which changes no number;
 * the fit reports the epoch at which the last member stopped, as the TF.js trainer does.
 */

import { initialParameters, parameterLayout } from "../model/mlp.ts";
import {
  buildMembers,
  type EnsembleFit,
  type EnsembleSetup,
  type TrainingOptions,
  TrialCancelledError,
  TrialPrunedError,
} from "../train/trainer.ts";
import { type Chi2State, WebGpuChi2Ensemble } from "./chi2Ensemble.ts";
import { type DawnBackend, getWebGpu, type WebGpuContext } from "./device.ts";
import type { TrainKernel } from "./ensemble.ts";

export interface WebGpuTrainingOptions {
  /** Dawn backend: "vulkan" (a GPU), "opengles" (Mesa llvmpipe), "auto" (GPU, else llvmpipe). */
  backend?: DawnBackend;
  kernel?: TrainKernel;
  /** Longest run of epochs submitted without reading the members' state back. */
  maxEpochsPerReadback?: number;
  /** Most epochs of dropout masks uploaded at once (chi2Ensemble.ts). */
  maxMaskEpochs?: number;
}

/** trainEnsemble's contract, trained on a WebGPU device. Throws WebGpuUnavailableError without one. */
export async function trainEnsembleWebGpu(
  setup: EnsembleSetup,
  opts: TrainingOptions = {},
  engine: WebGpuTrainingOptions = {},
): Promise<EnsembleFit> {
  const ctx = await getWebGpu(engine.backend ?? "auto");
  return trainOnDevice(ctx, setup, opts, engine);
}

async function trainOnDevice(
  ctx: WebGpuContext,
  setup: EnsembleSetup,
  opts: TrainingOptions,
  engine: WebGpuTrainingOptions,
): Promise<EnsembleFit> {
  const { task, arch } = setup;
  const members = buildMembers(setup);
  const S = members.length;
  const layout = parameterLayout(arch);
  const P = layout.size;
  const init = new Float32Array(S * P);
  members.forEach((m, s) => {
    init.set(initialParameters(arch, layout, setup.seed, m.replica), s * P);
  });
  const ens = await WebGpuChi2Ensemble.create(ctx.device, {
    task,
    arch,
    layout,
    optimiser: setup.optimiser,
    members,
    params: init,
    patience: setup.patienceEpochs,
    ...(setup.positivity ? { positivity: setup.positivity } : {}),
    ...(engine.kernel ? { kernel: engine.kernel } : {}),
    ...(engine.maxMaskEpochs ? { maxMaskEpochs: engine.maxMaskEpochs } : {}),
    dropoutSeed: setup.seed,
  });
  const batch = Math.max(1, engine.maxEpochsPerReadback ?? 50);
  try {
    let epoch = 0;
    let state: Chi2State | undefined;
    while (epoch < setup.maxEpochs) {
      if (opts.signal?.aborted) throw new TrialCancelledError(epoch);
      const next = Math.min(
        setup.maxEpochs,
        (Math.floor(epoch / setup.reportEvery) + 1) * setup.reportEvery,
        epoch + batch,
      );
      ens.step(next - epoch);
      state = await ens.state();
      const stillActive = state.active.reduce((a, b) => a + b, 0);
      epoch = stillActive === 0 ? Math.max(...state.stopEpoch) : next;
      // as in trainEnsemble, every member counts as stopped once the epoch limit is reached
      const active = epoch >= setup.maxEpochs ? 0 : stillActive;
      const last = epoch === setup.maxEpochs || active === 0;
      if (opts.onReport && (epoch % setup.reportEvery === 0 || last)) {
        const finite = Array.from(state.bestValidation).filter(Number.isFinite);
        const prune = await opts.onReport({
          epoch,
          value: finite.reduce((a, b) => a + b, 0) / Math.max(1, finite.length),
          activeReplicas: active,
        });
        if (prune === true) throw new TrialPrunedError(epoch);
      }
      if (active === 0) break;
    }
    if (opts.signal?.aborted || !state) throw new TrialCancelledError(epoch);
    const best = await ens.bestParameters();
    const { predictions, outputs } = await ens.predictAtBest();
    const N = task.dataset.nPoints;
    const GF = task.modelInputs.length * task.nOutputs;
    return {
      members,
      predictions: members.map((_, s) => Float64Array.from(predictions.subarray(s * N, (s + 1) * N))),
      outputs: members.map((_, s) => Float64Array.from(outputs.subarray(s * GF, (s + 1) * GF))),
      bestValidationChi2: Array.from(state.bestValidation),
      bestEpoch: Array.from(state.bestEpoch),
      epochs: epoch,
      parameters: members.map((_, s) => best.slice(s * P, (s + 1) * P)),
    };
  } finally {
    ens.destroy();
  }
}

/**
 * runTrial's `trainer` option for the WebGPU engine: opens the device first (so a missing adapter
 * fails here, with WebGpuUnavailableError), and names it in the result's `backend`.
 */
export async function webGpuTrainer(
  engine: WebGpuTrainingOptions = {},
): Promise<{ name: string; train: (setup: EnsembleSetup, opts?: TrainingOptions) => Promise<EnsembleFit> }> {
  const ctx = await getWebGpu(engine.backend ?? "auto");
  return {
    name: `webgpu (${ctx.backend}: ${ctx.description})`,
    train: (setup, opts = {}) => trainOnDevice(ctx, setup, opts, engine),
  };
}
