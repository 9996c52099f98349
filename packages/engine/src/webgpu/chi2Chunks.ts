/**
 * One chunk of the chi2 engine's members: its buffers (made and filled once) and bind groups. Chunks
 * keep every binding under the device's maxStorageBufferBindingSize.
 */

import { drawDropoutMasks } from "../kernel/dropout.ts";
import { fixedPrefactor } from "../kernel/task.ts";
import type { TrialRng } from "../rng.ts";
import { type Chi2Shape, type PackedTask, packMember } from "./chi2.ts";
import type { Chi2EnsembleSpec } from "./chi2Ensemble.ts";
import type { Chi2Pipelines } from "./chi2Pipelines.ts";
import { bindProgram } from "./program.ts";
import { type DropoutLayout, META, OPT_CODE, UNIFORM_BYTES } from "./wgsl.ts";

/** Initial "best validation chi2": above any finite float32 chi2 that matters, exactly representable. */
export const NOT_YET = 3e38;

export interface Chunk {
  first: number;
  count: number;
  buffers: Record<
    | "uniforms"
    | "H"
    | "Hd"
    | "masks"
    | "W"
    | "best"
    | "md"
    | "wh"
    | "gout"
    | "xgrad"
    | "report"
    | "part"
    | "meta",
    GPUBuffer
  >;
  /** Optimiser slots S0, S1, S2 ([count][PS] each). */
  slots: GPUBuffer[];
  owned: GPUBuffer[];
  groups: { forward: GPUBindGroup; chi2: GPUBindGroup; train: GPUBindGroup; optimise: GPUBindGroup };
}

/** What every chunk of one ensemble shares. */
export interface ChunkContext {
  device: GPUDevice;
  pipes: Chi2Pipelines;
  spec: Chi2EnsembleSpec;
  packed: PackedTask;
  preprocessing: Chi2Shape["preprocessing"];
  dropout: DropoutLayout | undefined;
  /** Point blocks per member of the back-propagation kernel. */
  C: number;
  /** Epochs of dropout masks a chunk's mask buffer holds. */
  maskEpochs: number;
  /** Shared buffers: model inputs and task constants. */
  X: GPUBuffer;
  K: GPUBuffer;
}

// GPUBufferUsage exists only once Dawn is loaded (device.ts installs its globals): read it lazily.
const ST = () => GPUBufferUsage.STORAGE;
const CS = () => GPUBufferUsage.COPY_SRC;
const CD = () => GPUBufferUsage.COPY_DST;

export function makeBuffer(device: GPUDevice, bytes: number, usage: number, label: string): GPUBuffer {
  return device.createBuffer({ size: Math.max(16, Math.ceil(bytes / 4) * 4), usage, label });
}

export function uploadBuffer(device: GPUDevice, data: Float32Array, label: string, extra = 0): GPUBuffer {
  const b = makeBuffer(device, data.byteLength, ST() | CD() | extra, label);
  device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
  return b;
}

/** Uniforms of a chunk (wgsl.ts UNIFORM_BYTES layout); optimiser settings are per member, in meta. */
function uniformBlock(ctx: ChunkContext, count: number): ArrayBuffer {
  const u = new ArrayBuffer(UNIFORM_BYTES);
  new Uint32Array(u, 0, 4).set([count, ctx.packed.shape.G, ctx.C, OPT_CODE[ctx.spec.optimiser]]);
  new Uint32Array(u, 36, 2).set([0, ctx.maskEpochs]);
  return u;
}

/** Member data, whitening rows and initial early-stopping state of members first … first+count−1. */
function memberRows(ctx: ChunkContext, first: number, count: number) {
  const { spec, packed } = ctx;
  const { shape } = packed;
  const PS = ctx.pipes.layout.PS;
  const md = new Float32Array(count * shape.MS);
  const wh = new Float32Array(count * shape.WS);
  const meta = new Float32Array(count * META.stride);
  for (let i = 0; i < count; i++) {
    const s = first + i;
    const { member, settings } = spec.members[s]!;
    const p = spec.params.subarray(s * PS, (s + 1) * PS);
    const pf = ctx.preprocessing === "fixed" ? fixedPrefactor(spec.task, p, spec.layout.alpha!) : undefined;
    const row = packMember(spec.task, packed, member, pf, settings.positivity);
    md.set(row.data, i * shape.MS);
    wh.set(row.whitening, i * shape.WS);
    const m = i * META.stride;
    const o = settings.optimiser;
    meta[m + META.beta1Pow] = 1;
    meta[m + META.beta2Pow] = 1;
    meta[m + META.active] = 1;
    meta[m + META.bestValidation] = NOT_YET;
    meta[m + META.hasValidation] = member.validation.length > 0 ? 1 : 0;
    meta[m + META.learningRate] = o.learningRate;
    meta[m + META.clipnorm] = o.clipnorm !== undefined && o.clipnorm > 0 ? o.clipnorm : 0;
    meta[m + META.momentum] = o.momentum ?? 0;
    meta[m + META.patience] = settings.patience;
  }
  return { md, wh, meta };
}

/**
 * A chunk of `count` members from `first`; with `fill` false its member rows (parameters, data,
 * whitening, meta) are left zero for `copyRows` to fill (compaction).
 */
export function createChunk(ctx: ChunkContext, first: number, count: number, fill = true): Chunk {
  const { device, packed, dropout } = ctx;
  const { shape } = packed;
  const { P, PS } = ctx.pipes.layout;
  const GF = shape.G * shape.F;
  const maskRow = dropout ? shape.G * dropout.H : 0;
  const uniforms = makeBuffer(device, UNIFORM_BYTES, GPUBufferUsage.UNIFORM | CD(), "uniforms");
  device.queue.writeBuffer(uniforms, 0, uniformBlock(ctx, count));
  const make = (bytes: number, usage: number, label: string) => makeBuffer(device, bytes, usage, label);
  const rowBuffer = (data: () => Float32Array, bytes: number, label: string) =>
    fill ? uploadBuffer(device, data(), label, CS()) : make(bytes, ST() | CS() | CD(), label);
  const rows = fill ? memberRows(ctx, first, count) : undefined;
  const params = () => ctx.spec.params.subarray(first * PS, (first + count) * PS);
  const buffers: Chunk["buffers"] = {
    uniforms,
    H: make(count * GF * 4, ST(), "outputs"),
    Hd: make(dropout ? count * GF * 4 : 16, ST(), "outputs-with-dropout"),
    masks: make(ctx.maskEpochs * count * maskRow * 4, ST() | CD(), "dropout-masks"),
    W: rowBuffer(params, count * PS * 4, "params"),
    best: rowBuffer(params, count * PS * 4, "best-params"),
    md: rowBuffer(() => rows!.md, count * shape.MS * 4, "member-data"),
    wh: rowBuffer(() => rows!.wh, count * shape.WS * 4, "whitening"),
    gout: make(count * GF * 4, ST(), "output-gradient"),
    xgrad: make(count * Math.max(1, PS - P) * 4, ST() | CS(), "exponent-gradient"),
    report: make(count * shape.RS * 4, ST() | CS(), "report"),
    part: make(count * ctx.C * P * 4, ST() | CS(), "partial-gradients"),
    meta: rowBuffer(() => rows!.meta, count * META.stride * 4, "meta"),
  };
  const slots = [0, 1, 2].map(() => make(count * PS * 4, ST() | CS() | CD(), "slot"));
  return {
    first,
    count,
    buffers,
    slots,
    owned: [...Object.values(buffers), ...slots],
    groups: bindGroups(ctx, buffers, slots),
  };
}

/** Per-member row lengths (f32) of the buffers that move with a member when the stack is compacted. */
function rowStrides(ctx: ChunkContext): [keyof Chunk["buffers"] | number, number][] {
  const { PS } = ctx.pipes.layout;
  const { MS, WS } = ctx.packed.shape;
  return [
    ["W", PS],
    ["best", PS],
    ["md", MS],
    ["wh", WS],
    ["meta", META.stride],
    [0, PS],
    [1, PS],
    [2, PS],
  ];
}

/**
 * Encode copies of every member row (parameters, best parameters, data, whitening, meta, optimiser
 * slots) from old stack positions `from[i]` to new position i, runs of neighbours in one copy.
 */
export function copyRows(
  ctx: ChunkContext,
  enc: GPUCommandEncoder,
  src: readonly Chunk[],
  dst: readonly Chunk[],
  from: readonly number[],
): void {
  const locate = (chunks: readonly Chunk[], p: number) => {
    const ch = chunks.find((c) => p >= c.first && p < c.first + c.count)!;
    return { ch, i: p - ch.first };
  };
  for (let i = 0; i < from.length; ) {
    const a = locate(src, from[i]!);
    const b = locate(dst, i);
    let n = 1;
    while (
      i + n < from.length &&
      from[i + n] === from[i]! + n &&
      a.i + n < a.ch.count &&
      b.i + n < b.ch.count
    )
      n += 1;
    for (const [which, stride] of rowStrides(ctx)) {
      const pick = (c: Chunk) => (typeof which === "number" ? c.slots[which]! : c.buffers[which]);
      enc.copyBufferToBuffer(pick(a.ch), a.i * stride * 4, pick(b.ch), b.i * stride * 4, n * stride * 4);
    }
    i += n;
  }
}

function bindGroups(ctx: ChunkContext, b: Chunk["buffers"], slots: GPUBuffer[]): Chunk["groups"] {
  const { device, pipes, X, K } = ctx;
  const { programs } = pipes;
  // every buffer by the name the programs declare it under; each program takes the ones it declares
  const named = {
    u: b.uniforms,
    X,
    K,
    W: b.W,
    H: b.H,
    Hd: b.Hd,
    Mk: b.masks,
    Meta: b.meta,
    MD: b.md,
    Wh: b.wh,
    gout: b.gout,
    Y: b.gout,
    xgrad: b.xgrad,
    report: b.report,
    part: b.part,
    S0: slots[0]!,
    S1: slots[1]!,
    S2: slots[2]!,
    Best: b.best,
  };
  return {
    forward: bindProgram(device, pipes.forward, programs.forward, named),
    chi2: bindProgram(device, pipes.chi2, programs.chi2, named),
    train: bindProgram(device, pipes.train, programs.train, named),
    optimise: bindProgram(device, pipes.optimise, programs.optimise, named),
  };
}

/**
 * Dropout masks of epochs e+1 … e+kk for a chunk, [kk][count][G][H], each member from its own stream
 * at its own rate:
 * kernel/dropout.ts drawDropoutMasks, laid out per row [g][H] at each layer's offset.
 */
export function drawMasks(
  rngs: TrialRng[],
  first: number,
  count: number,
  kk: number,
  G: number,
  hidden: number[],
  layout: DropoutLayout,
  rates: readonly number[],
): Float32Array {
  const { H, offsets } = layout;
  const per = G * hidden.reduce((a, b) => a + b, 0);
  const one = new Float32Array(per);
  const m = new Float32Array(kk * count * G * H);
  for (let e = 0; e < kk; e++)
    for (let i = 0; i < count; i++) {
      drawDropoutMasks(rngs[first + i]!, rates[first + i]!, G, hidden, one);
      const row = (e * count + i) * G * H;
      let o = 0;
      hidden.forEach((units, l) => {
        for (let g = 0; g < G; g++)
          for (let j = 0; j < units; j++) m[row + g * H + offsets[l]! + j] = one[o++]!;
      });
    }
  return m;
}
