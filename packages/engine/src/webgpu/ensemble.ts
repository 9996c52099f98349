/**
 * A stacked-replica MLP ensemble trained on a WebGPU device with the kernels of wgsl.ts.
 *
 * Everything a trial needs lives on the device from creation: inputs, per-replica targets and
 * training masks, parameters [R][P], optimiser slots, per-replica step counters and bias corrections,
 * partial gradients. `step(k)` encodes k full training steps (2 dispatches per replica chunk and step)
 * into one command buffer and submits once; nothing is read back until `losses()` or `parameters()`.
 * Replicas are split into chunks, each with its own buffers and bind groups (created once), so that no
 * binding exceeds the device's maxStorageBufferBindingSize.
 */

import type { Activation } from "../model/mlp.ts";
import type { OptimiserConfig } from "../train/optimisers.ts";
import { CPU_LANES } from "./chi2Pipelines.ts";
import { isCpuDevice } from "./device.ts";
import { optimiseShader } from "./optimise.ts";
import { bindProgram, compileProgram, type KernelProgram } from "./program.ts";
import {
  cpuPointsPerInvocation,
  fusedTilesPerWorkgroup,
  type KernelLayout,
  kernelLayout,
  LOOP_ITERATION_BUDGET,
  META,
  OPT_CODE,
  trainShader,
  trainShaderCpu,
  UNIFORM_BYTES,
} from "./wgsl.ts";

export interface WebGpuEnsembleSpec {
  /** Layer sizes [inputs, hidden…, outputs]. */
  sizes: number[];
  activation: Activation;
  optimiser: OptimiserConfig;
  /** Number of replicas R. */
  replicas: number;
  /** Inputs [N][sizes[0]], shared by all replicas. */
  inputs: Float32Array;
  /** Targets [R][N][F] (each replica its own pseudo-data). */
  targets: Float32Array;
  /** Initial parameters [R][P] in the flat layout of model/mlp.ts parameterLayout. */
  params: Float32Array;
  /**
   * Training weights [R][N]: 1 = training point, 0 = validation point. Default: all training. The
   * training loss of replica r is Σ_n m·Σ_f (out−y)² / (F·Σ_n m); validation uses 1 − m.
   */
  mask?: Float32Array;
  /** Point blocks per replica processed in parallel (C). Default: enough to give ≥ ~1024 workgroups. */
  blocksPerReplica?: number;
  /** Kernel shape; default "cpu" on a CPU rasteriser (llvmpipe), else "fused". */
  kernel?: TrainKernel;
  /** Override the device's maxStorageBufferBindingSize (tests force chunking with this). */
  maxBindingBytes?: number;
}

/**
 * "fused": one workgroup per (point block, replica) with workgroup memory (GPUs). "cpu": one
 * invocation per (point block, replica), no barriers (llvmpipe, ~30× faster there).
 */
export type TrainKernel = "fused" | "cpu";

interface Pipelines {
  kernel: TrainKernel;
  layout: KernelLayout;
  programs: { train: KernelProgram; optimise: KernelProgram };
  train: GPUComputePipeline;
  optimise: GPUComputePipeline;
}

const pipelineCache = new WeakMap<GPUDevice, Map<string, Promise<Pipelines>>>();

/** Compile (once per device and architecture) the two compute pipelines, asynchronously. */
export function compilePipelines(
  device: GPUDevice,
  sizes: number[],
  activation: Activation,
  kernel: TrainKernel,
): Promise<Pipelines> {
  let m = pipelineCache.get(device);
  if (!m) {
    m = new Map();
    pipelineCache.set(device, m);
  }
  const key = `${sizes.join(",")}:${activation}:${kernel}`;
  let p = m.get(key);
  if (!p) {
    p = (async () => {
      const layout = kernelLayout(
        { sizes, activation },
        device.limits.maxComputeWorkgroupStorageSize,
        device.limits.maxComputeInvocationsPerWorkgroup,
      );
      const programs = {
        train:
          kernel === "cpu"
            ? trainShaderCpu({ sizes, activation }, layout, CPU_LANES)
            : trainShader({ sizes, activation }, layout),
        optimise: optimiseShader(layout, kernel === "cpu" ? "rpc" : "rcp"),
      };
      const [train, optimise] = await Promise.all([
        compileProgram(device, programs.train),
        compileProgram(device, programs.optimise),
      ]);
      return { kernel, layout, programs, train, optimise };
    })();
    m.set(key, p);
    p.catch(() => m.delete(key));
  }
  return p;
}

interface Chunk {
  first: number;
  count: number;
  params: GPUBuffer;
  meta: GPUBuffer;
  buffers: GPUBuffer[];
  trainGroup: GPUBindGroup;
  optimiseGroup: GPUBindGroup;
  readParams: GPUBuffer;
  readMeta: GPUBuffer;
}

export interface EnsembleLosses {
  /** Training loss per replica at the parameters before the last step. */
  train: Float32Array;
  /** Validation loss per replica (0 when the mask has no validation points). */
  validation: Float32Array;
  /** Steps taken per replica (counted on the device). */
  steps: Float32Array;
}

export class WebGpuEnsemble {
  readonly R: number;
  readonly N: number;
  readonly P: number;
  /** Point blocks per replica (C). */
  readonly C: number;
  readonly chunks: readonly Chunk[];
  readonly kernel: TrainKernel;
  private readonly groupsPerReplica: number;
  private destroyed = false;

  private constructor(
    readonly device: GPUDevice,
    private readonly pipes: Pipelines,
    R: number,
    N: number,
    C: number,
    chunks: Chunk[],
    private readonly shared: GPUBuffer[],
  ) {
    this.R = R;
    this.N = N;
    this.P = pipes.layout.P;
    this.C = C;
    this.chunks = chunks;
    this.kernel = pipes.kernel;
    this.groupsPerReplica = pipes.kernel === "cpu" ? Math.ceil(C / CPU_LANES) : C;
  }

  static async create(device: GPUDevice, spec: WebGpuEnsembleSpec): Promise<WebGpuEnsemble> {
    const kernel = spec.kernel ?? (isCpuDevice(device) ? "cpu" : "fused");
    const pipes = await compilePipelines(device, spec.sizes, spec.activation, kernel);
    const { P, WG } = pipes.layout;
    const R = spec.replicas;
    const D = spec.sizes[0]!;
    const F = spec.sizes[spec.sizes.length - 1]!;
    if (!(Number.isInteger(R) && R >= 1)) throw new Error(`replicas must be a positive integer, got ${R}`);
    const N = spec.inputs.length / D;
    if (!Number.isInteger(N) || N < 1) throw new Error(`inputs length ${spec.inputs.length} is not N·${D}`);
    if (spec.targets.length !== R * N * F)
      throw new Error(`targets length ${spec.targets.length} ≠ R·N·F = ${R * N * F}`);
    if (spec.params.length !== R * P) throw new Error(`params length ${spec.params.length} ≠ R·P = ${R * P}`);
    if (spec.mask && spec.mask.length !== R * N)
      throw new Error(`mask length ${spec.mask.length} ≠ R·N = ${R * N}`);
    const opt = OPT_CODE[spec.optimiser.name];
    if (opt === undefined) throw new Error(`unknown optimiser ${spec.optimiser.name}`);

    const tiles = Math.ceil(N / WG);
    const maxGroups = device.limits.maxComputeWorkgroupsPerDimension;
    // Fused: enough (point block, replica) workgroups to fill a GPU. CPU: one SIMD-wide workgroup per
    // replica where the loop budget allows (llvmpipe truncates longer loops: wgsl.ts
    // LOOP_ITERATION_BUDGET), else as few SIMD-wide groups as keep each invocation under it.
    const minC =
      kernel === "cpu"
        ? Math.ceil(Math.ceil(N / cpuPointsPerInvocation(pipes.layout)) / CPU_LANES) * CPU_LANES
        : Math.ceil(tiles / fusedTilesPerWorkgroup(pipes.layout));
    const wantC = spec.blocksPerReplica ?? (kernel === "cpu" ? CPU_LANES : Math.ceil(1024 / R));
    const C = Math.min(kernel === "cpu" ? N : tiles, Math.max(minC, wantC));
    if (C > maxGroups * (kernel === "cpu" ? CPU_LANES : 1))
      throw new Error(`N = ${N} needs ${C} point blocks per replica, more than one dispatch allows`);
    const optimiserIterations = Math.ceil(P / pipes.layout.WG2) * (1 + C) + 2 * C + 16;
    if (optimiserIterations > LOOP_ITERATION_BUDGET)
      throw new Error(
        `N = ${N} gives ${C} partial gradients per replica: too many for one optimiser invocation`,
      );

    const limit = Math.min(
      spec.maxBindingBytes ?? Number.POSITIVE_INFINITY,
      device.limits.maxStorageBufferBindingSize,
    );
    const perReplica = 4 * Math.max(N * F, N, P, C * P, 2 * C, META.stride);
    if (4 * N * D > limit)
      throw new Error(`inputs (${4 * N * D} B) exceed the storage binding limit ${limit} B`);
    const perChunk = Math.max(1, Math.min(R, maxGroups, Math.floor(limit / perReplica)));
    if (perReplica > limit)
      throw new Error(`one replica needs ${perReplica} B in one binding (limit ${limit} B)`);

    const S = GPUBufferUsage.STORAGE;
    const make = (bytes: number, usage: number, label: string) =>
      device.createBuffer({ size: Math.max(16, Math.ceil(bytes / 4) * 4), usage, label });
    const upload = (data: Float32Array, label: string, extra = 0) => {
      const b = make(data.byteLength, S | GPUBufferUsage.COPY_DST | extra, label);
      device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
      return b;
    };

    const X = upload(spec.inputs, "X");
    const shared = [X];
    const chunks: Chunk[] = [];
    for (let first = 0; first < R; first += perChunk) {
      const count = Math.min(perChunk, R - first);
      const u = new ArrayBuffer(UNIFORM_BYTES);
      new Uint32Array(u, 0, 4).set([count, N, C, opt]);
      new Float32Array(u, 16, 3).set([
        spec.optimiser.learningRate,
        spec.optimiser.clipnorm ?? 0,
        spec.optimiser.momentum ?? 0,
      ]);
      const ub = make(UNIFORM_BYTES, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, "uniforms");
      device.queue.writeBuffer(ub, 0, u);

      const Y = upload(spec.targets.subarray(first * N * F, (first + count) * N * F), "Y");
      const maskData = spec.mask
        ? spec.mask.subarray(first * N, (first + count) * N)
        : new Float32Array(count * N).fill(1);
      const Mb = upload(maskData, "mask");
      const params = upload(
        spec.params.subarray(first * P, (first + count) * P),
        "params",
        GPUBufferUsage.COPY_SRC,
      );
      const meta = new Float32Array(count * META.stride);
      for (let i = 0; i < count; i++) {
        let nt = 0;
        for (let n = 0; n < N; n++) nt += maskData[i * N + n]!;
        const nv = N - nt;
        const row = i * META.stride;
        meta[row + META.step] = 0;
        meta[row + META.beta1Pow] = 1;
        meta[row + META.beta2Pow] = 1;
        meta[row + META.active] = 1;
        meta[row + META.invTrain] = nt > 0 ? 1 / (F * nt) : 0;
        meta[row + META.invValidation] = nv > 0 ? 1 / (F * nv) : 0;
      }
      const metaBuf = upload(meta, "meta", GPUBufferUsage.COPY_SRC);
      const slots = [0, 1, 2].map(() => make(count * P * 4, S, "slot"));
      const part = make(count * C * P * 4, S | GPUBufferUsage.COPY_SRC, "partial-gradients");
      const lpart = make(count * C * 2 * 4, S | GPUBufferUsage.COPY_SRC, "partial-losses");
      const readParams = make(
        count * P * 4,
        GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
        "read-params",
      );
      const readMeta = make(
        count * META.stride * 4,
        GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
        "read-meta",
      );
      const named = {
        u: ub,
        X,
        Y,
        M: Mb,
        W: params,
        Meta: metaBuf,
        part,
        lpart,
        S0: slots[0]!,
        S1: slots[1]!,
        S2: slots[2]!,
      };
      const trainGroup = bindProgram(device, pipes.train, pipes.programs.train, named);
      const optimiseGroup = bindProgram(device, pipes.optimise, pipes.programs.optimise, named);
      chunks.push({
        first,
        count,
        params,
        meta: metaBuf,
        buffers: [ub, Y, Mb, params, metaBuf, ...slots, part, lpart, readParams, readMeta],
        trainGroup,
        optimiseGroup,
        readParams,
        readMeta,
      });
    }
    return new WebGpuEnsemble(device, pipes, R, N, C, chunks, shared);
  }

  /** Encode k training steps into one command buffer and submit it (no readback). */
  step(k = 1): void {
    this.check();
    const enc = this.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    for (let s = 0; s < k; s++) {
      pass.setPipeline(this.pipes.train);
      for (const ch of this.chunks) {
        pass.setBindGroup(0, ch.trainGroup);
        pass.dispatchWorkgroups(this.groupsPerReplica, ch.count, 1);
      }
      pass.setPipeline(this.pipes.optimise);
      for (const ch of this.chunks) {
        pass.setBindGroup(0, ch.optimiseGroup);
        pass.dispatchWorkgroups(ch.count, 1, 1);
      }
    }
    pass.end();
    this.device.queue.submit([enc.finish()]);
  }

  /** Wait until the device has finished all submitted work. */
  async sync(): Promise<void> {
    await this.device.queue.onSubmittedWorkDone();
  }

  private async read(pick: (c: Chunk) => [GPUBuffer, GPUBuffer], stride: number): Promise<Float32Array> {
    this.check();
    const enc = this.device.createCommandEncoder();
    for (const ch of this.chunks) {
      const [src, dst] = pick(ch);
      enc.copyBufferToBuffer(src, 0, dst, 0, ch.count * stride * 4);
    }
    this.device.queue.submit([enc.finish()]);
    const out = new Float32Array(this.R * stride);
    for (const ch of this.chunks) {
      const [, dst] = pick(ch);
      await dst.mapAsync(GPUMapMode.READ, 0, ch.count * stride * 4);
      out.set(new Float32Array(dst.getMappedRange(0, ch.count * stride * 4).slice(0)), ch.first * stride);
      dst.unmap();
    }
    return out;
  }

  /** Per-replica losses of the last step (read back: a report point). */
  async losses(): Promise<EnsembleLosses> {
    const m = await this.read((c) => [c.meta, c.readMeta], META.stride);
    const pick = (k: number) => Float32Array.from({ length: this.R }, (_, r) => m[r * META.stride + k]!);
    return { train: pick(META.lossTrain), validation: pick(META.lossValidation), steps: pick(META.step) };
  }

  /** Current parameters [R][P]. */
  parameters(): Promise<Float32Array> {
    return this.read((c) => [c.params, c.readParams], this.P);
  }

  /** Freeze (0) or unfreeze (1) replicas: frozen ones keep their parameters (their slots still update). */
  setActive(active: ArrayLike<number>): void {
    this.check();
    if (active.length !== this.R) throw new Error(`active has ${active.length} entries, R = ${this.R}`);
    for (const ch of this.chunks)
      for (let i = 0; i < ch.count; i++)
        this.device.queue.writeBuffer(
          ch.meta,
          (i * META.stride + META.active) * 4,
          new Float32Array([active[ch.first + i]!]),
        );
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const ch of this.chunks) for (const b of ch.buffers) b.destroy();
    for (const b of this.shared) b.destroy();
  }

  private check(): void {
    if (this.destroyed) throw new Error("WebGpuEnsemble used after destroy()");
  }
}
