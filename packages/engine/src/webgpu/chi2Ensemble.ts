/**
 * The members of a trial (folds × replicas) trained on a WebGPU device with the chi2 loss of chi2.ts:
 * forward, chi2, back-propagation and optimiser (with early stopping and best-weights copies) are four
 * dispatches per step, all buffers and bind groups made once. `step(k)` encodes k epochs into one
 * command buffer; nothing is read back until `state()`, `bestParameters()` or `predict()`. Members are
 * split into chunks so that no binding exceeds the device's maxStorageBufferBindingSize.
 */

import type { KernelSpec, KernelState } from "../kernel/kernel.ts";
import { TrialRng } from "../rng.ts";
import { CHI2_WG, type Chi2Shape, checkChi2Limits, type PackedTask, packTask, REPORT } from "./chi2.ts";
import {
  type Chunk,
  type ChunkContext,
  copyRows,
  createChunk,
  drawMasks,
  NOT_YET,
  uploadBuffer,
} from "./chi2Chunks.ts";
import { type Chi2Pipelines, CPU_LANES, compileChi2Pipelines } from "./chi2Pipelines.ts";
import { isCpuDevice } from "./device.ts";
import type { TrainKernel } from "./ensemble.ts";
import {
  cpuPointsPerInvocation,
  type DropoutLayout,
  dropoutLayout,
  fusedTilesPerWorkgroup,
  LOOP_ITERATION_BUDGET,
  META,
} from "./wgsl.ts";

/** A kernel stack (kernel/kernel.ts KernelSpec) and how to lay it out on the device. */
export interface Chi2EnsembleSpec extends KernelSpec {
  kernel?: TrainKernel;
  /** Override the device's maxStorageBufferBindingSize (tests force chunking with this). */
  maxBindingBytes?: number;
  /** Most epochs whose masks are uploaded at once (default: as many as fit in 16 MiB, at most 64). */
  maxMaskEpochs?: number;
}

/** Per-member state read back at a report point (kernel.ts KernelState), with each one's step count. */
export interface Chi2State extends Omit<KernelState, "epoch"> {
  steps: Int32Array;
}

/** Dropout state: the members' mask streams and rates, and how many epochs of masks the buffers hold. */
interface Dropout {
  rates: number[];
  layout: DropoutLayout;
  rngs: TrialRng[];
  epochs: number;
}

export class WebGpuChi2Ensemble {
  S: number;
  readonly PS: number;
  /** Epochs stepped so far (the step counter every member's optimiser shares). */
  private epoch = 0;
  private destroyed = false;

  private constructor(
    readonly device: GPUDevice,
    private readonly pipes: Chi2Pipelines,
    readonly shape: Chi2Shape,
    readonly C: number,
    readonly kernel: TrainKernel,
    public chunks: readonly Chunk[],
    private readonly shared: GPUBuffer[],
    private readonly dropout: Dropout | undefined,
    private readonly ctx: ChunkContext,
    private readonly perChunk: number,
  ) {
    this.S = chunks.reduce((a, c) => a + c.count, 0);
    this.PS = pipes.layout.PS;
  }

  static async create(device: GPUDevice, spec: Chi2EnsembleSpec): Promise<WebGpuChi2Ensemble> {
    const { task, arch, layout, members } = spec;
    const withDropout = members.some((m) => m.settings.dropout > 0);
    const dl = withDropout ? dropoutLayout(layout.sizes) : undefined;
    const kernel = spec.kernel ?? (isCpuDevice(device) ? "cpu" : "fused");
    const pre: Chi2Shape["preprocessing"] = !arch.preprocessing
      ? "none"
      : arch.preprocessing.trainable
        ? "trainable"
        : "fixed";
    if (arch.preprocessing && !task.preprocessing)
      throw new Error("preprocessing needs the task's x per row");
    const packed: PackedTask = packTask(task, pre, withDropout);
    const shape = packed.shape;
    checkChi2Limits(shape, device.limits.maxComputeWorkgroupStorageSize);
    const pipes = await compileChi2Pipelines(device, arch, shape, layout, kernel, dl);
    const { P, PS } = pipes.layout;
    if (PS !== layout.size) throw new Error(`parameter layout ${layout.size} ≠ kernel layout ${PS}`);
    const S = members.length;
    if (spec.params.length !== S * PS)
      throw new Error(`params length ${spec.params.length} ≠ S·P = ${S * PS}`);
    const { G } = shape;

    // Point blocks per member for the back-propagation kernel, as ensemble.ts chooses them for N rows.
    const tiles = Math.ceil(G / pipes.layout.WG);
    const minC =
      kernel === "cpu"
        ? Math.ceil(Math.ceil(G / cpuPointsPerInvocation(pipes.layout)) / CPU_LANES) * CPU_LANES
        : Math.ceil(tiles / fusedTilesPerWorkgroup(pipes.layout));
    const wantC = kernel === "cpu" ? CPU_LANES : Math.ceil(1024 / S);
    const C = Math.min(kernel === "cpu" ? G : tiles, Math.max(minC, wantC));
    if (Math.ceil(PS / pipes.layout.WG2) * (1 + C) + 2 * C + 16 > LOOP_ITERATION_BUDGET)
      throw new Error(`${C} partial gradients per member: too many for one optimiser invocation`);
    const deviceLimit = device.limits.maxStorageBufferBindingSize;
    const limit = Math.min(spec.maxBindingBytes ?? Number.POSITIVE_INFINITY, deviceLimit);
    const maskRow = dl ? G * dl.H : 0;
    const perMember = 4 * Math.max(shape.WS, shape.MS, shape.RS, C * P, PS, META.stride, maskRow);
    if (perMember > limit)
      throw new Error(`one member needs ${perMember} B in one binding (limit ${limit} B)`);
    if (4 * shape.constsLength > deviceLimit)
      throw new Error(
        `the task's constants (${4 * shape.constsLength} B) exceed the binding limit ${deviceLimit} B`,
      );
    const maxGroups = device.limits.maxComputeWorkgroupsPerDimension;
    const perChunk = Math.max(1, Math.min(S, maxGroups, Math.floor(limit / perMember)));
    const maskBudget = Math.min(limit, 16 << 20);
    const maskEpochs = dl
      ? Math.max(1, Math.min(spec.maxMaskEpochs ?? 64, Math.floor(maskBudget / (4 * perChunk * maskRow))))
      : 1;

    const X = uploadBuffer(device, Float32Array.from(task.modelInputs.flat()), "model-inputs");
    const K = uploadBuffer(device, packed.consts, "task-constants");
    const ctx: ChunkContext = {
      device,
      pipes,
      spec,
      packed,
      preprocessing: pre,
      dropout: dl,
      C,
      maskEpochs,
      X,
      K,
    };
    const chunks: Chunk[] = [];
    for (let first = 0; first < S; first += perChunk)
      chunks.push(createChunk(ctx, first, Math.min(perChunk, S - first)));
    const dropout = dl
      ? {
          rates: members.map((m) => m.settings.dropout),
          layout: dl,
          rngs: members.map((m) => new TrialRng(m.settings.dropoutSeed)),
          epochs: maskEpochs,
        }
      : undefined;
    return new WebGpuChi2Ensemble(device, pipes, shape, C, kernel, chunks, [X, K], dropout, ctx, perChunk);
  }

  private encode(pass: GPUComputePassEncoder, withOptimiser: boolean): void {
    const { forward, chi2, train, optimise } = this.pipes;
    const rowGroups = Math.ceil(this.shape.G / CHI2_WG);
    const blockGroups = this.kernel === "cpu" ? Math.ceil(this.C / CPU_LANES) : this.C;
    for (const ch of this.chunks) {
      pass.setPipeline(forward);
      pass.setBindGroup(0, ch.groups.forward);
      pass.dispatchWorkgroups(rowGroups, ch.count, 1);
      pass.setPipeline(chi2);
      pass.setBindGroup(0, ch.groups.chi2);
      pass.dispatchWorkgroups(ch.count, 1, 1);
      pass.setPipeline(train);
      pass.setBindGroup(0, ch.groups.train);
      pass.dispatchWorkgroups(blockGroups, ch.count, 1);
      if (withOptimiser) {
        pass.setPipeline(optimise);
        pass.setBindGroup(0, ch.groups.optimise);
        pass.dispatchWorkgroups(ch.count, 1, 1);
      }
    }
  }

  /**
   * Encode k epochs (full-batch steps) into one command buffer and submit it; no readback. With
   * dropout, the masks of up to `maxMaskEpochs` epochs are drawn and uploaded before each submit.
   */
  step(k = 1): void {
    this.check();
    for (let done = 0; done < k; ) {
      const kk = Math.min(k - done, this.dropout?.epochs ?? k);
      if (this.dropout) this.uploadMasks(kk);
      const enc = this.device.createCommandEncoder();
      const pass = enc.beginComputePass();
      for (let s = 0; s < kk; s++) this.encode(pass, true);
      pass.end();
      this.device.queue.submit([enc.finish()]);
      this.epoch += kk;
      done += kk;
    }
  }

  /**
   * Masks of epochs epoch+1 … epoch+kk, [kk][count][G][H] per chunk, and the chunk's `base` uniform.
   * Queue order puts these writes after the work already submitted, which still reads the old masks.
   */
  private uploadMasks(kk: number): void {
    const { rates, layout, rngs } = this.dropout!;
    const hidden = this.pipes.layout.sizes.slice(1, -1);
    for (const ch of this.chunks) {
      const m = drawMasks(rngs, ch.first, ch.count, kk, this.shape.G, hidden, layout, rates);
      this.device.queue.writeBuffer(ch.buffers.masks, 0, m.buffer, 0, m.byteLength);
      this.device.queue.writeBuffer(ch.buffers.uniforms, 36, new Uint32Array([this.epoch]));
    }
  }

  /** Copy `count·stride` floats per chunk from a buffer back, in member order. */
  private async read(which: keyof Chunk["buffers"], stride: number): Promise<Float32Array> {
    this.check();
    const out = new Float32Array(this.S * stride);
    const enc = this.device.createCommandEncoder();
    const staging = this.chunks.map((ch) => {
      const bytes = ch.count * stride * 4;
      const dst = this.device.createBuffer({
        size: Math.max(16, bytes),
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
        label: `read-${which}`,
      });
      enc.copyBufferToBuffer(ch.buffers[which], 0, dst, 0, bytes);
      return { ch, dst, bytes };
    });
    this.device.queue.submit([enc.finish()]);
    try {
      for (const { ch, dst, bytes } of staging) {
        await dst.mapAsync(GPUMapMode.READ, 0, bytes);
        out.set(new Float32Array(dst.getMappedRange(0, bytes).slice(0)), ch.first * stride);
        dst.unmap();
      }
    } finally {
      for (const { dst } of staging) dst.destroy();
    }
    return out;
  }

  /** Early-stopping state and last losses of every member (a report point). */
  async state(): Promise<Chi2State> {
    const m = await this.read("meta", META.stride);
    const S = this.S;
    const at = (k: number) => Array.from({ length: S }, (_, s) => m[s * META.stride + k]!);
    return {
      active: Uint8Array.from(at(META.active), (a) => (a > 0 ? 1 : 0)),
      bestValidation: Float64Array.from(at(META.bestValidation), (v) =>
        v >= NOT_YET ? Number.POSITIVE_INFINITY : v,
      ),
      bestEpoch: Int32Array.from(at(META.bestStep)),
      stopEpoch: Int32Array.from(at(META.stopStep)),
      train: Float32Array.from(at(META.lossTrain)),
      validation: Float32Array.from(at(META.lossValidation)),
      steps: Int32Array.from(at(META.step)),
    };
  }

  parameters(): Promise<Float32Array> {
    return this.read("W", this.PS);
  }

  bestParameters(): Promise<Float32Array> {
    return this.read("best", this.PS);
  }

  /**
   * Training chi2 and validation chi2 per member, the positivity penalty, and the gradient of
   * Σ_s (chi2_train,s + penalty_s) [S][PS] at the current parameters (no step is taken).
   */
  async lossAndGradient(): Promise<{
    train: Float32Array;
    validation: Float32Array;
    penalty: Float32Array;
    grad: Float64Array;
  }> {
    this.check();
    const enc = this.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    this.encode(pass, false);
    pass.end();
    this.device.queue.submit([enc.finish()]);
    const { P, PS } = this.pipes.layout;
    const C = this.C;
    const report = await this.read("report", this.shape.RS);
    const part = await this.read("part", C * P);
    const XS = PS - P;
    const xgrad = XS > 0 ? await this.read("xgrad", XS) : new Float32Array(0);
    const grad = new Float64Array(this.S * PS);
    for (let s = 0; s < this.S; s++) {
      for (let p = 0; p < P; p++) {
        let g = 0;
        for (let c = 0; c < C; c++) g += part[s * C * P + (this.kernel === "cpu" ? p * C + c : c * P + p)]!;
        grad[s * PS + p] = g;
      }
      for (let q = 0; q < XS; q++) grad[s * PS + P + q] = xgrad[s * XS + q]!;
    }
    const pick = (k: number) =>
      Float32Array.from({ length: this.S }, (_, s) => report[s * this.shape.RS + k]!);
    return {
      train: pick(REPORT.train),
      validation: pick(REPORT.validation),
      penalty: pick(REPORT.penalty),
      grad,
    };
  }

  /**
   * Predictions T [S][N] and model outputs (prefactor applied) [S][G·F] at every member's best
   * parameters. The current parameters are overwritten by the best ones: call after training.
   */
  async predictAtBest(): Promise<{ predictions: Float32Array; outputs: Float32Array }> {
    this.check();
    const enc = this.device.createCommandEncoder();
    for (const ch of this.chunks)
      enc.copyBufferToBuffer(ch.buffers.best, 0, ch.buffers.W, 0, ch.count * this.PS * 4);
    const pass = enc.beginComputePass();
    const { forward, chi2 } = this.pipes;
    for (const ch of this.chunks) {
      pass.setPipeline(forward);
      pass.setBindGroup(0, ch.groups.forward);
      pass.dispatchWorkgroups(Math.ceil(this.shape.G / CHI2_WG), ch.count, 1);
      pass.setPipeline(chi2);
      pass.setBindGroup(0, ch.groups.chi2);
      pass.dispatchWorkgroups(ch.count, 1, 1);
    }
    pass.end();
    this.device.queue.submit([enc.finish()]);
    const { N, G, F, RS } = this.shape;
    const report = await this.read("report", RS);
    const predictions = new Float32Array(this.S * N);
    const outputs = new Float32Array(this.S * G * F);
    for (let s = 0; s < this.S; s++) {
      const at = s * RS + REPORT.predictions;
      predictions.set(report.subarray(at, at + N), s * N);
      outputs.set(report.subarray(at + N, at + N + G * F), s * G * F);
    }
    return { predictions, outputs };
  }

  /** Stop these members (stack positions) now: their parameters and best parameters freeze. */
  freeze(positions: readonly number[]): void {
    this.check();
    for (const p of positions) {
      const ch = this.chunkOf(p);
      const at = ((p - ch.first) * META.stride + META.active) * 4;
      this.device.queue.writeBuffer(ch.buffers.meta, at, new Float32Array([0]));
    }
  }

  /** Overwrite the current ("W") or best parameters of these positions with rows of `data`. */
  writeRows(which: "W" | "best", data: Float32Array, positions: readonly number[]): void {
    this.check();
    const PS = this.PS;
    positions.forEach((p, i) => {
      const ch = this.chunkOf(p);
      this.device.queue.writeBuffer(
        ch.buffers[which],
        (p - ch.first) * PS * 4,
        data.buffer,
        data.byteOffset + i * PS * 4,
        PS * 4,
      );
    });
  }

  /**
   * Keep only these positions, in this order: every member row moves on the device into new chunks
   * (parameters, best, optimiser slots, data, whitening, early-stopping state); dropout streams follow.
   */
  compact(keep: readonly number[]): void {
    this.check();
    const chunks: Chunk[] = [];
    for (let first = 0; first < keep.length; first += this.perChunk)
      chunks.push(createChunk(this.ctx, first, Math.min(this.perChunk, keep.length - first), false));
    const enc = this.device.createCommandEncoder();
    copyRows(this.ctx, enc, this.chunks, chunks, keep);
    this.device.queue.submit([enc.finish()]);
    for (const ch of this.chunks) for (const b of ch.owned) b.destroy();
    this.chunks = chunks;
    this.S = keep.length;
    if (this.dropout) {
      const d = this.dropout;
      d.rngs = keep.map((p) => d.rngs[p]!);
      d.rates = keep.map((p) => d.rates[p]!);
    }
  }

  private chunkOf(p: number): Chunk {
    const ch = this.chunks.find((c) => p >= c.first && p < c.first + c.count);
    if (!ch) throw new Error(`stack position ${p} out of range (${this.S} members)`);
    return ch;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const ch of this.chunks) for (const b of ch.owned) b.destroy();
    for (const b of this.shared) b.destroy();
  }

  private check(): void {
    if (this.destroyed) throw new Error("WebGpuChi2Ensemble used after destroy()");
  }
}
