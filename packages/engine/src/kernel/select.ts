/**
 * Which kernel trains: "fastest present". A GPU adapter (not a CPU rasteriser) → the WGSL kernels;
 * otherwise the fused CPU kernel when its module loads (it picks native AVX2 or WebAssembly itself);
 * otherwise TF.js. An explicit choice (the runner's ENGINE_TRAINER) overrides and fails when that
 * kernel cannot run here.
 */

import { existsSync } from "node:fs";
import type { PackedTrial } from "../train/host.ts";
import { trainOn, trainPackedOn } from "../train/host.ts";
import type { EnsembleFit, EnsembleSetup, TrainingOptions } from "../train/members.ts";
import { getWebGpu } from "../webgpu/device.ts";
import { WebGpuKernelBackend } from "../webgpu/kernel.ts";
import type { KernelBackend, KernelKind } from "./kernel.ts";
import { tfjsKernelBackend } from "./tfjs.ts";

export type TrainerChoice = KernelKind | "auto";

export const trainerChoices = ["auto", "cpu", "webgpu", "tfjs"] as const satisfies readonly TrainerChoice[];

/** A trainer for runTrial / runTrials: a kernel backend under the host, named for results. */
export interface EngineTrainer {
  kind: KernelKind;
  /** What runs, e.g. "webgpu (vulkan: NVIDIA H200 …)"; results and the runner's registration show it. */
  name: string;
  train: (setup: EnsembleSetup, opts?: TrainingOptions) => Promise<EnsembleFit>;
  trainPacked: (trials: PackedTrial[]) => Promise<EnsembleFit>[];
}

export function engineTrainer(backend: KernelBackend, name: string): EngineTrainer {
  return {
    kind: backend.kind,
    name,
    train: (setup, opts = {}) => trainOn(backend, setup, opts),
    trainPacked: (trials) => trainPackedOn(backend, trials),
  };
}

/**
 * The CPU kernel's backend (kernel/cpu/backend.ts, export `cpuKernelBackend`) when that module is
 * part of this build and loads; undefined otherwise.
 */
export async function loadCpuKernelBackend(): Promise<KernelBackend | undefined> {
  try {
    // A variable specifier: the module is optional in a build, and absent here until it lands.
    const path = "./cpu/backend.ts";
    const mod = (await import(/* @vite-ignore */ path)) as { cpuKernelBackend?: KernelBackend };
    return mod.cpuKernelBackend;
  } catch {
    return undefined;
  }
}

/**
 * Whether a real GPU adapter (Vulkan, not a CPU rasteriser) is present. Without a GPU device node
 * (NVIDIA, AMD's kfd, DRI) Dawn is not even loaded: that spares CPU machines its start-up cost and its
 * "Couldn't load Vulkan" warning.
 */
async function gpuPresent(): Promise<boolean> {
  if (!["/dev/nvidia0", "/dev/kfd", "/dev/dri"].some((p) => existsSync(p))) return false;
  try {
    return !(await getWebGpu("vulkan")).isCpu;
  } catch {
    return false;
  }
}

async function backendFor(choice: TrainerChoice): Promise<KernelBackend> {
  switch (choice) {
    case "tfjs":
      return tfjsKernelBackend;
    case "webgpu":
      // a GPU when present, else Mesa llvmpipe; throws WebGpuUnavailableError without either
      await new WebGpuKernelBackend().context();
      return new WebGpuKernelBackend();
    case "cpu": {
      const cpu = await loadCpuKernelBackend();
      if (!cpu || !(await cpu.available()))
        throw new Error("ENGINE_TRAINER=cpu: the fused CPU kernel is not available in this build");
      return cpu;
    }
    case "auto": {
      if (await gpuPresent()) return new WebGpuKernelBackend({ backend: "vulkan" });
      const cpu = await loadCpuKernelBackend();
      if (cpu && (await cpu.available())) return cpu;
      return tfjsKernelBackend;
    }
  }
}

/** The trainer for a choice ("auto": the fastest present), with its description. */
export async function selectTrainer(choice: TrainerChoice = "auto"): Promise<EngineTrainer> {
  const backend = await backendFor(choice);
  return engineTrainer(backend, await backend.describe());
}
