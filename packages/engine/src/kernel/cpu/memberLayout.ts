/**
 * The training kernel's region (member.c): where every array lives, written once into the region's
 * header, which member.c reads. `M` mirrors member.h's enum word for word (memberLayout.test.ts
 * compares them; the magic number changes with either).
 */
import { MAX_LAYERS } from "./layout.ts";

const words = [
  "MAGIC",
  "BLOCK",
  "LANES",
  "THREADS",
  "S",
  "G",
  "GP",
  "N",
  "L",
  "ACT",
  "OPT",
  "P",
  "PRE",
  "HEAD",
  "NBLK",
  "BMAX",
  "ALPHA",
  "HSUM",
  "GFP",
  "EPOCH",
  "MODE",
  "NPRED",
  "SIZES",
] as const;
/** Per-stack arrays, in region order (each 64-byte aligned). */
const arrays = [
  "OFF_X",
  "OFF_LX",
  "OFF_L1X",
  "OFF_FK",
  "OFF_SEL",
  "OFF_BPTS",
  "OFF_WHIT",
  "OFF_DATA",
  "OFF_WTR",
  "OFF_WVA",
  "OFF_PF",
  "OFF_PARAMS",
  "OFF_BEST",
  "OFF_SLOT0",
  "OFF_SLOT1",
  "OFF_SLOT2",
  "OFF_LR",
  "OFF_CLIP",
  "OFF_MOM",
  "OFF_LAMBDA",
  "OFF_DSCALE",
  "OFF_DLIM",
  "OFF_HASDROP",
  "OFF_PATIENCE",
  "OFF_HASVAL",
  "OFF_ACTIVE",
  "OFF_BESTVAL",
  "OFF_BESTEPOCH",
  "OFF_STOPEPOCH",
  "OFF_TRAIN",
  "OFF_VAL",
  "OFF_PEN",
  "OFF_RNG",
  "OFF_GRADOUT",
  "OFF_GLOSS",
  "OFF_PPARAMS",
  "OFF_PT",
  "OFF_POUT",
] as const;
/** Per-thread scratch, relative to the thread's scratch start. */
const scratch = [
  "SCR_Y",
  "SCR_A",
  "SCR_M",
  "SCR_H",
  "SCR_OUT",
  "SCR_PF",
  "SCR_DOUT",
  "SCR_T",
  "SCR_DT",
  "SCR_Z",
  "SCR_D0",
  "SCR_D1",
  "SCR_GACC",
  "SCR_GRAD",
] as const;
const control = [
  "BAR_COUNT",
  "BAR_GEN",
  "NEXT",
  "CTL_GEN",
  "CTL_CMD",
  "CTL_STEPS",
  "CTL_DONE",
  "CTL_RC",
  "WORDS",
] as const;
export type MemberArray = (typeof arrays)[number];
type ScratchWord = (typeof scratch)[number];
type Word =
  | (typeof words)[number]
  | MemberArray
  | ScratchWord
  | "OFF_SCRATCH"
  | "SCRATCH_STRIDE"
  | (typeof control)[number];

/** The enum's names in order (member.h), for the mirror test. */
export const memberWordNames: readonly string[] = [
  ...words,
  ...Array.from({ length: MAX_LAYERS }, () => ""),
  ...arrays,
  "OFF_SCRATCH",
  "SCRATCH_STRIDE",
  ...scratch,
  ...control,
];
export const M = Object.fromEntries(memberWordNames.flatMap((w, i) => (w === "" ? [] : [[w, i]]))) as Record<
  Word,
  number
>;

export const MEMBER_MAGIC = 0x4845b002;
export const PRE = { none: 0, fixed: 1, trainable: 2 } as const;
export const HEAD = { fk: 0, select: 1 } as const;
export const MODE = { train: 0, gradient: 1, predict: 2 } as const;
/** Points per block (kernel.h KERNEL_BLOCK). */
const BLOCK = 64;
/** Stack of each worker's WebAssembly instance, inside its scratch. */
const STACK_BYTES = 64 * 1024;

export interface MemberShape {
  /** Layer sizes [in, …hidden, out]. */
  sizes: number[];
  S: number;
  G: number;
  N: number;
  /** Covariance blocks and the largest block. */
  NBLK: number;
  BMAX: number;
  /** Parameters per member (the layers', then α and β when preprocessing). */
  P: number;
  /** Rows the prediction area holds. */
  NPRED: number;
  /** Whether the head is an FK map (its N × G·F matrix is stored) and the prefactor fixed (stored per member). */
  fk: boolean;
  fixedPrefactor: boolean;
  threads: number;
  lanes: number;
}

export interface MemberLayout {
  header: Record<Word, number>;
  bytes: number;
  GP: number;
  GFP: number;
  HSUM: number;
  /** Floats (or int32 words) per member of each per-member array; 0 for the stack's shared ones. */
  perMember: Partial<Record<MemberArray, number>>;
  stackTops: number[];
}

const align = (n: number, a = 64) => Math.ceil(n / a) * a;

/** Where everything goes; per-member arrays scale with S, per-thread scratch does not. */
export function memberLayout(s: MemberShape): MemberLayout {
  const L = s.sizes.length - 1;
  if (L < 1 || L > MAX_LAYERS) throw new Error(`cpu kernel: ${L} layers (1 … ${MAX_LAYERS})`);
  const F = s.sizes[L]!;
  const D = s.sizes[0]!;
  const hidden = s.sizes.slice(1, L);
  const HSUM = hidden.reduce((a, b) => a + b, 0);
  const GP = align(s.G, BLOCK);
  const GF = s.G * F;
  const GFP = align(GF, 8);
  const netP = s.sizes.slice(1).reduce((p, n, l) => p + s.sizes[l]! * n + n, 0);
  const B = s.BMAX;
  const perMember: Partial<Record<MemberArray, number>> = {
    OFF_WHIT: s.NBLK * B * B,
    OFF_DATA: s.N,
    OFF_WTR: s.N,
    OFF_WVA: s.N,
    OFF_PF: s.fixedPrefactor ? GF : 0,
    OFF_PARAMS: s.P,
    OFF_BEST: s.P,
    OFF_SLOT0: s.P,
    OFF_SLOT1: s.P,
    OFF_SLOT2: s.P,
    OFF_RNG: 4,
    OFF_GRADOUT: s.P,
    OFF_GLOSS: 3,
  };
  for (const a of arrays)
    if (
      perMember[a] === undefined &&
      a.startsWith("OFF_") &&
      ![
        "OFF_X",
        "OFF_LX",
        "OFF_L1X",
        "OFF_FK",
        "OFF_SEL",
        "OFF_BPTS",
        "OFF_PPARAMS",
        "OFF_PT",
        "OFF_POUT",
      ].includes(a)
    )
      perMember[a] = 1;
  const shared: Partial<Record<MemberArray, number>> = {
    OFF_X: D * GP,
    OFF_LX: s.G,
    OFF_L1X: s.G,
    // a select head has no matrix: N · G·F floats would be 4 GB for 32,000 points of 8 outputs
    OFF_FK: s.fk ? s.N * GFP : 0,
    OFF_SEL: s.N,
    OFF_BPTS: s.NBLK * B,
    OFF_PPARAMS: s.NPRED * s.P,
    OFF_PT: s.NPRED * s.N,
    OFF_POUT: s.NPRED * GF,
  };
  const h = {} as Record<Word, number>;
  let off = align(M.WORDS * 4);
  for (const a of arrays) {
    h[a] = off;
    off = align(off + 4 * (shared[a] ?? s.S * perMember[a]!));
  }
  let so = 0;
  const stake = (w: ScratchWord, floats: number) => {
    h[w] = so;
    so = align(so + floats * 4);
  };
  const maxUnits = Math.max(...s.sizes.slice(1));
  stake("SCR_Y", HSUM * GP);
  stake("SCR_A", HSUM * GP);
  stake("SCR_M", HSUM * GP);
  stake("SCR_H", F * GP);
  stake("SCR_OUT", GFP);
  stake("SCR_PF", GFP);
  stake("SCR_DOUT", GFP);
  stake("SCR_T", s.N);
  stake("SCR_DT", s.N);
  stake("SCR_Z", 2 * B);
  stake("SCR_D0", maxUnits * BLOCK);
  stake("SCR_D1", maxUnits * BLOCK);
  stake("SCR_GACC", netP * s.lanes);
  stake("SCR_GRAD", s.P);
  so += STACK_BYTES;
  h.SCRATCH_STRIDE = align(so);
  h.OFF_SCRATCH = off;
  off += s.threads * h.SCRATCH_STRIDE;
  if (off > 2 ** 31 - 1)
    throw new Error(`cpu kernel: the stack needs ${off} bytes, over the 2 GiB region limit`);
  const stackTops = Array.from(
    { length: s.threads },
    (_, t) => h.OFF_SCRATCH + (t + 1) * h.SCRATCH_STRIDE - 64,
  );
  return { header: h, bytes: off, GP, GFP, HSUM, perMember, stackTops };
}
