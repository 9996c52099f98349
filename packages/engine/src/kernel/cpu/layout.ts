/**
 * The shared region of the fused CPU kernel: where every array lives, written once into the
 * region's header, which kernel.c reads. `H` mirrors kernel.h's enum word for word (the magic number
 * changes with either; kernel_run refuses a region whose magic, block or lane count differ).
 */
import type { Activation } from "../../model/mlp.ts";
import type { OptimiserName } from "../../train/optimisers.ts";

const words = [
  "MAGIC",
  "BLOCK",
  "LANES",
  "THREADS",
  "R",
  "NP",
  "LAYERS",
  "ACT",
  "OPT",
  "P",
  "STEP",
  "SIZES",
] as const;
export const MAX_LAYERS = 5;
const offsets = [
  "OFF_X",
  "OFF_Y",
  "OFF_PW",
  "OFF_PARAMS",
  "OFF_SLOT0",
  "OFF_SLOT1",
  "OFF_SLOT2",
  "OFF_LOSS",
  "OFF_LR",
  "OFF_CLIP",
  "OFF_MOM",
  "OFF_ACTIVE",
  "OFF_SCRATCH",
  "SCRATCH_STRIDE",
  "SCR_ACT",
  "SCR_D0",
  "SCR_D1",
  "SCR_GACC",
  "SCR_GRAD",
  "SCR_SLOTS",
  "SCR_SHADOW",
  "SLOT_STRIDE",
  "BAR_COUNT",
  "BAR_GEN",
  "CTL_GEN",
  "CTL_CMD",
  "CTL_STEPS",
  "CTL_DONE",
  "CTL_RC",
  "WORDS",
] as const;
type Word = (typeof words)[number] | (typeof offsets)[number];
export const H = Object.fromEntries([
  ...words.map((w, i) => [w, i]),
  ...offsets.map((w, i) => [w, words.length + MAX_LAYERS + i]),
]) as Record<Word, number>;

export const KERNEL_MAGIC = 0x4845a003;
/** Points per block (kernel.h KERNEL_BLOCK). */
export const BLOCK = 64;
/** Stack of each worker's WebAssembly instance, inside its scratch. */
const STACK_BYTES = 64 * 1024;

export const activationCode: Record<Activation, number> = { tanh: 0, sigmoid: 1, relu: 2, linear: 3 };
export const optimiserCode: Record<OptimiserName, number> = {
  adam: 0,
  nadam: 1,
  amsgrad: 2,
  rmsprop: 3,
  sgd: 4,
  adadelta: 5,
};

export interface RegionShape {
  /** Layer sizes [in, …hidden, out]. */
  sizes: number[];
  replicas: number;
  points: number;
  threads: number;
  /** SIMD lanes of the build (4 WebAssembly, 8 AVX2). */
  lanes: number;
}

export interface RegionLayout {
  /** Bytes from the region's start (all 64-byte aligned). */
  header: Record<Word, number>;
  bytes: number;
  P: number;
  NP: number;
  /** Per thread: top of its stack (WebAssembly), relative to the region's start. */
  stackTops: number[];
}

const align = (n: number, a = 64) => Math.ceil(n / a) * a;

export function parameterCount(sizes: number[]): number {
  let P = 0;
  for (let l = 0; l + 1 < sizes.length; l++) P += sizes[l]! * sizes[l + 1]! + sizes[l + 1]!;
  return P;
}

/** Everything per replica scales with R; per-thread scratch does not, so memory per replica is flat. */
export function regionLayout(s: RegionShape): RegionLayout {
  const L = s.sizes.length - 1;
  if (L < 1 || L > MAX_LAYERS) throw new Error(`cpu kernel: ${L} layers (1 … ${MAX_LAYERS})`);
  const P = parameterCount(s.sizes);
  const NP = align(s.points, BLOCK);
  const R = s.replicas;
  const F = s.sizes[L]!;
  let off = align(H.WORDS * 4);
  const take = (floats: number) => {
    const at = off;
    off = align(off + floats * 4);
    return at;
  };
  const h = {} as Record<Word, number>;
  h.OFF_X = take(s.sizes[0]! * NP);
  h.OFF_Y = take(R * F * NP);
  h.OFF_PW = take(NP);
  h.OFF_PARAMS = take(R * P);
  h.OFF_SLOT0 = take(R * P);
  h.OFF_SLOT1 = take(R * P);
  h.OFF_SLOT2 = take(R * P);
  h.OFF_LOSS = take(R);
  h.OFF_LR = take(R);
  h.OFF_CLIP = take(R);
  h.OFF_MOM = take(R);
  h.OFF_ACTIVE = take(R);
  // per-thread scratch
  const units = s.sizes.slice(1);
  const maxUnits = Math.max(...units);
  let so = 0;
  const stake = (floats: number) => {
    const at = so;
    so = align(so + floats * 4);
    return at;
  };
  h.SCR_ACT = stake(units.reduce((a, b) => a + b, 0) * BLOCK);
  h.SCR_D0 = stake(maxUnits * BLOCK);
  h.SCR_D1 = stake(maxUnits * BLOCK);
  h.SCR_GACC = stake(P * s.lanes);
  h.SCR_GRAD = stake(P);
  h.SLOT_STRIDE = align(P + 1, 16);
  h.SCR_SLOTS = stake(4 * h.SLOT_STRIDE);
  h.SCR_SHADOW = stake(4 * P);
  so += STACK_BYTES;
  h.SCRATCH_STRIDE = align(so);
  h.OFF_SCRATCH = off;
  off += s.threads * h.SCRATCH_STRIDE;
  const stackTops = Array.from(
    { length: s.threads },
    (_, t) => h.OFF_SCRATCH + (t + 1) * h.SCRATCH_STRIDE - 64,
  );
  if (off > 2 ** 31 - 1) throw new Error(`cpu kernel: ${off} bytes exceed the 2 GiB region limit`);
  return { header: h, bytes: off, P, NP, stackTops };
}

/** Write the header words of a fresh region. */
export function writeHeader(
  view: Int32Array,
  s: RegionShape,
  layout: RegionLayout,
  activation: Activation,
  optimiser: OptimiserName,
): void {
  view.fill(0, 0, H.WORDS);
  view[H.MAGIC] = KERNEL_MAGIC;
  view[H.BLOCK] = BLOCK;
  view[H.LANES] = s.lanes;
  view[H.THREADS] = s.threads;
  view[H.R] = s.replicas;
  view[H.NP] = layout.NP;
  view[H.LAYERS] = s.sizes.length - 1;
  view[H.ACT] = activationCode[activation];
  view[H.OPT] = optimiserCode[optimiser];
  view[H.P] = layout.P;
  s.sizes.forEach((n, i) => {
    view[H.SIZES + i] = n;
  });
  for (const [k, v] of Object.entries(layout.header)) view[H[k as Word]] = v;
}
