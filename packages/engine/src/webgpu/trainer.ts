/**
 * trainEnsemble (train/trainer.ts) on a WebGPU device: the device-neutral host (train/host.ts) on the
 * WGSL kernels (webgpu/kernel.ts), so the members, initial parameters, chi2 loss, optimiser, early
 * stopping with best weights, reports, pruning and the returned EnsembleFit are those of the TF.js
 * trainer and runTrial scores it unchanged. Early stopping runs on the device: the host reads the
 * members' state back only at report points (and every `maxEpochsPerReadback` epochs, to notice
 * cancellation and the end of training).
 */

import { type PackedTrial, trainOn, trainPackedOn } from "../train/host.ts";
import type { EnsembleFit, EnsembleSetup, TrainingOptions } from "../train/members.ts";
import { WebGpuKernelBackend, type WebGpuKernelOptions } from "./kernel.ts";

export type WebGpuTrainingOptions = WebGpuKernelOptions;

/** trainEnsemble's contract, trained on a WebGPU device. Throws WebGpuUnavailableError without one. */
export async function trainEnsembleWebGpu(
  setup: EnsembleSetup,
  opts: TrainingOptions = {},
  engine: WebGpuTrainingOptions = {},
): Promise<EnsembleFit> {
  const backend = new WebGpuKernelBackend(engine);
  await backend.context();
  return trainOn(backend, setup, opts);
}

/**
 * runTrial's `trainer` option for the WebGPU engine: opens the device first (so a missing adapter
 * fails here, with WebGpuUnavailableError), and names it in the result's `backend`.
 */
export async function webGpuTrainer(engine: WebGpuTrainingOptions = {}): Promise<{
  name: string;
  train: (setup: EnsembleSetup, opts?: TrainingOptions) => Promise<EnsembleFit>;
  trainPacked: (trials: PackedTrial[]) => Promise<EnsembleFit>[];
}> {
  const backend = new WebGpuKernelBackend(engine);
  return {
    name: await backend.describe(),
    train: (setup, opts = {}) => trainOn(backend, setup, opts),
    trainPacked: (trials) => trainPackedOn(backend, trials),
  };
}
