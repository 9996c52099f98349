/**
 * The four compute pipelines of the chi2 engine (forward, chi2, back-propagation, optimiser with early
 * stopping), compiled once per device, architecture, task shape, kernel shape and dropout.
 */

import type { ArchitectureConfig, ParameterLayout } from "../model/mlp.ts";
import { type Chi2Shape, chi2Shader, forwardShader } from "./chi2.ts";
import type { TrainKernel } from "./ensemble.ts";
import { optimiseShader } from "./optimise.ts";
import { compileProgram, type KernelProgram } from "./program.ts";
import { type DropoutLayout, type KernelLayout, kernelLayout, trainShader, trainShaderCpu } from "./wgsl.ts";

/** SIMD width of llvmpipe's compute (8 × f32 with AVX2): one CPU-kernel workgroup. */
export const CPU_LANES = 8;

/** The four programs of the chi2 engine (their bindings make the chunks' bind groups). */
export interface Chi2Programs {
  forward: KernelProgram;
  chi2: KernelProgram;
  train: KernelProgram;
  optimise: KernelProgram;
}

export interface Chi2Pipelines {
  layout: KernelLayout;
  programs: Chi2Programs;
  forward: GPUComputePipeline;
  chi2: GPUComputePipeline;
  train: GPUComputePipeline;
  optimise: GPUComputePipeline;
}

const cache = new WeakMap<GPUDevice, Map<string, Promise<Chi2Pipelines>>>();

export function compileChi2Pipelines(
  device: GPUDevice,
  arch: ArchitectureConfig,
  shape: Chi2Shape,
  layout: ParameterLayout,
  kernel: TrainKernel,
  dropout: DropoutLayout | undefined,
): Promise<Chi2Pipelines> {
  let m = cache.get(device);
  if (!m) {
    m = new Map();
    cache.set(device, m);
  }
  const key = JSON.stringify([layout.sizes, layout.size, arch.activation, kernel, shape]);
  let p = m.get(key);
  if (!p) {
    p = (async () => {
      const kl = kernelLayout(
        { sizes: layout.sizes, activation: arch.activation },
        device.limits.maxComputeWorkgroupStorageSize,
        device.limits.maxComputeInvocationsPerWorkgroup,
        layout.size - (layout.alpha ?? layout.size),
      );
      const shape0 = { sizes: layout.sizes, activation: arch.activation };
      const programs: Chi2Programs = {
        forward: forwardShader(kl, arch.activation, dropout),
        chi2: chi2Shader(shape, kl.PS, layout.alpha ?? 0),
        train:
          kernel === "cpu"
            ? trainShaderCpu(shape0, kl, CPU_LANES, "buffer", dropout)
            : trainShader(shape0, kl, "buffer", dropout),
        optimise: optimiseShader(kl, kernel === "cpu" ? "rpc" : "rcp", { reportStride: shape.RS }),
      };
      const [forward, chi2, train, optimise] = await Promise.all(
        [programs.forward, programs.chi2, programs.train, programs.optimise].map((p) =>
          compileProgram(device, p),
        ),
      );
      return { layout: kl, programs, forward: forward!, chi2: chi2!, train: train!, optimise: optimise! };
    })();
    m.set(key, p);
    p.catch(() => m.delete(key));
  }
  return p;
}
