/**
 * The fused CPU kernel as a training kernel (kernel/kernel.ts): member.c on worker threads over one
 * shared region, the native AVX2/FMA addon where it was built and the CPU has both, else WebAssembly
 * SIMD128 (load.ts picks; `ENGINE_CPU_BUILD` or the `build` option forces one). The host writes the
 * stack once; `step(k)` runs k epochs with early stopping inside the kernel, and only `state`,
 * `readParameters`, `predict` and `lossAndGradient` read anything back.
 *
 * Dropout masks are drawn inside the kernel from each member's sfc32 state (rng.ts TrialRng, the same
 * stream bit for bit, tested against drawDropoutMasks): drawing them on the host would put the host
 * back in the loop every epoch, which `step(k)` exists to avoid, and would cost G × units floats per
 * member and epoch of traffic.
 */
import { availableParallelism } from "node:os";
import { z } from "zod";
import { TrialRng } from "../../rng.ts";
import type {
  KernelBackend,
  KernelGradient,
  KernelPredictions,
  KernelSpec,
  KernelState,
  TrainingKernel,
} from "../kernel.ts";
import { fixedPrefactor, memberWhitening, whiteningBlocks } from "../task.ts";
import { activationCode, optimiserCode } from "./layout.ts";
import { type CpuBuild, type CpuKernelModule, loadCpuKernel } from "./load.ts";
import {
  HEAD,
  M,
  MEMBER_MAGIC,
  type MemberArray,
  type MemberLayout,
  MODE,
  memberLayout,
  PRE,
} from "./memberLayout.ts";
import { allocateRegion, KernelThreads, type Region } from "./threads.ts";

export interface CpuBackendOptions {
  /** Force a build (default: ENGINE_CPU_BUILD, else the fastest that loads). */
  build?: CpuBuild;
  /** Worker threads (default: ENGINE_CPU_THREADS, else the machine's parallelism, at most 8). */
  threads?: number;
}

/** The sfc32 state (a, b, c, d) of a fresh TrialRng: its fields, read once at creation. */
function rngState(seed: number): number[] {
  const r = new TrialRng(seed) as unknown as { a: number; b: number; c: number; d: number };
  return [r.a, r.b, r.c, r.d];
}

const describeBuild: Record<CpuBuild, string> = {
  native: "native avx2+fma",
  "wasm-relaxed": "wasm relaxed-simd",
  wasm: "wasm simd128",
};

class CpuTrainingKernel implements TrainingKernel {
  private S: number;
  private disposed = false;
  private readonly i32: Int32Array;
  private readonly f32: Float32Array;

  constructor(
    private readonly spec: KernelSpec,
    region: Region,
    private readonly layout: MemberLayout,
    private readonly threads: KernelThreads,
    private readonly npred: number,
  ) {
    this.S = spec.members.length;
    this.i32 = new Int32Array(region.buffer, region.offset, layout.bytes / 4);
    this.f32 = new Float32Array(region.buffer, region.offset, layout.bytes / 4);
  }

  get size(): number {
    return this.S;
  }

  private get P(): number {
    return this.spec.layout.size;
  }

  /** Word index of array `a`'s element i. */
  private at(a: MemberArray, i = 0): number {
    return this.layout.header[a] / 4 + i;
  }

  private async run(mode: number, steps: number): Promise<void> {
    this.check();
    this.i32[M.MODE] = mode;
    this.i32[M.NEXT] = 0;
    await this.threads.run(steps);
  }

  async step(epochs: number): Promise<void> {
    if (epochs <= 0) return;
    await this.run(MODE.train, epochs);
    this.i32[M.EPOCH] = this.i32[M.EPOCH]! + epochs;
  }

  async state(): Promise<KernelState> {
    this.check();
    const S = this.S;
    const f = (a: MemberArray) => this.f32.slice(this.at(a), this.at(a, S));
    const i = (a: MemberArray) => this.i32.slice(this.at(a), this.at(a, S));
    return {
      epoch: this.i32[M.EPOCH]!,
      active: Uint8Array.from(i("OFF_ACTIVE")),
      bestValidation: Float64Array.from(f("OFF_BESTVAL")),
      bestEpoch: i("OFF_BESTEPOCH"),
      stopEpoch: i("OFF_STOPEPOCH"),
      train: f("OFF_TRAIN"),
      validation: f("OFF_VAL"),
    };
  }

  private rows(positions: number[] | undefined): number[] {
    return positions ?? Array.from({ length: this.S }, (_, p) => p);
  }

  async readParameters(which: "current" | "best", positions?: number[]): Promise<Float32Array> {
    this.check();
    const P = this.P;
    const a = which === "best" ? "OFF_BEST" : "OFF_PARAMS";
    const at = this.rows(positions);
    const out = new Float32Array(at.length * P);
    at.forEach((p, i) => {
      out.set(this.f32.subarray(this.at(a, p * P), this.at(a, (p + 1) * P)), i * P);
    });
    return out;
  }

  async writeParameters(which: "current" | "best", data: Float32Array, positions?: number[]): Promise<void> {
    this.check();
    const P = this.P;
    const a = which === "best" ? "OFF_BEST" : "OFF_PARAMS";
    const at = this.rows(positions);
    if (data.length !== at.length * P) throw new Error(`writeParameters: ${data.length} ≠ ${at.length}·${P}`);
    at.forEach((p, i) => {
      this.f32.set(data.subarray(i * P, (i + 1) * P), this.at(a, p * P));
    });
  }

  freeze(positions: number[]): void {
    this.check();
    for (const p of positions) this.i32[this.at("OFF_ACTIVE", p)] = 0;
  }

  async compact(keep: number[]): Promise<void> {
    this.check();
    for (const [a, width] of Object.entries(this.layout.perMember) as [MemberArray, number][]) {
      const old = this.i32.slice(this.at(a), this.at(a, this.S * width));
      keep.forEach((p, i) => {
        this.i32.set(old.subarray(p * width, (p + 1) * width), this.at(a, i * width));
      });
    }
    this.S = keep.length;
    this.i32[M.S] = this.S;
  }

  async predict(params: Float32Array): Promise<KernelPredictions> {
    this.check();
    const P = this.P;
    const n = params.length / P;
    const N = this.spec.task.dataset.nPoints;
    const GF = this.spec.task.modelInputs.length * this.spec.task.nOutputs;
    const predictions = new Float32Array(n * N);
    const outputs = new Float32Array(n * GF);
    for (let first = 0; first < n; first += this.npred) {
      const count = Math.min(this.npred, n - first);
      this.f32.set(params.subarray(first * P, (first + count) * P), this.at("OFF_PPARAMS"));
      this.i32[M.NPRED] = count;
      await this.run(MODE.predict, 1);
      predictions.set(this.f32.subarray(this.at("OFF_PT"), this.at("OFF_PT", count * N)), first * N);
      outputs.set(this.f32.subarray(this.at("OFF_POUT"), this.at("OFF_POUT", count * GF)), first * GF);
    }
    return { predictions, outputs };
  }

  async lossAndGradient(): Promise<KernelGradient> {
    await this.run(MODE.gradient, 1);
    const S = this.S;
    const loss = this.f32.subarray(this.at("OFF_GLOSS"), this.at("OFF_GLOSS", 3 * S));
    const pick = (k: number) => Float32Array.from({ length: S }, (_, p) => loss[3 * p + k]!);
    return {
      train: pick(0),
      validation: pick(1),
      penalty: pick(2),
      grad: Float64Array.from(this.f32.subarray(this.at("OFF_GRADOUT"), this.at("OFF_GRADOUT", S * this.P))),
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.threads.dispose();
  }

  private check(): void {
    if (this.disposed) throw new Error("cpu kernel used after dispose()");
  }
}

/** Write the stack of `spec` into a fresh region laid out by `layout`. */
function writeStack(
  spec: KernelSpec,
  kernel: CpuKernelModule,
  layout: MemberLayout,
  region: Region,
  threads: number,
) {
  const { task, arch, members } = spec;
  const sizes = spec.layout.sizes;
  const S = members.length;
  const G = task.modelInputs.length;
  const F = sizes[sizes.length - 1]!;
  const N = task.dataset.nPoints;
  const P = spec.layout.size;
  const wb = whiteningBlocks(task);
  const i32 = new Int32Array(region.buffer, region.offset, layout.bytes / 4);
  const f32 = new Float32Array(region.buffer, region.offset, layout.bytes / 4);
  const u32 = new Uint32Array(region.buffer, region.offset, layout.bytes / 4);
  const h = layout.header;
  const w = (a: MemberArray) => h[a] / 4;
  const pre = !arch.preprocessing ? PRE.none : arch.preprocessing.trainable ? PRE.trainable : PRE.fixed;
  const head: Record<string, number> = {
    MAGIC: MEMBER_MAGIC,
    BLOCK: 64,
    LANES: kernel.lanes,
    THREADS: threads,
    S,
    G,
    GP: layout.GP,
    N,
    L: sizes.length - 1,
    ACT: activationCode[arch.activation],
    OPT: optimiserCode[spec.optimiser],
    P,
    PRE: pre,
    HEAD: task.head.kind === "fk" ? HEAD.fk : HEAD.select,
    NBLK: wb.blocks.length,
    BMAX: wb.B,
    ALPHA: spec.layout.alpha ?? 0,
    HSUM: layout.HSUM,
    GFP: layout.GFP,
  };
  for (const [k, v] of Object.entries(head)) i32[M[k as keyof typeof M]] = v;
  sizes.forEach((n, i) => {
    i32[M.SIZES + i] = n;
  });
  for (const [k, v] of Object.entries(h)) i32[M[k as keyof typeof M]] = v;
  // shared: inputs [D][GP], ln x, ln(1 − x), the head, the blocks' slots
  task.modelInputs.forEach((row, g) => {
    row.forEach((v, d) => {
      f32[w("OFF_X") + d * layout.GP + g] = v;
    });
  });
  if (task.preprocessing) {
    const x = task.preprocessing.x;
    for (let g = 0; g < G; g++) {
      f32[w("OFF_LX") + g] = Math.log(x[g]!);
      f32[w("OFF_L1X") + g] = Math.log(1 - x[g]!);
    }
  }
  if (task.head.kind === "fk") {
    const fk = task.head.fk;
    const GF = G * F;
    for (let i = 0; i < N; i++) f32.set(fk.subarray(i * GF, (i + 1) * GF), w("OFF_FK") + i * layout.GFP);
  } else i32.set(task.head.index, w("OFF_SEL"));
  i32.fill(-1, w("OFF_BPTS"), w("OFF_BPTS") + wb.blocks.length * wb.B);
  for (let i = 0; i < N; i++) i32[w("OFF_BPTS") + wb.blockOf[i]! * wb.B + wb.slotOf[i]!] = i;
  // per member
  f32.set(spec.params, w("OFF_PARAMS"));
  f32.set(spec.params, w("OFF_BEST"));
  members.forEach(({ member: m, settings: st }, s) => {
    f32.set(memberWhitening(task, m), w("OFF_WHIT") + s * (layout.perMember.OFF_WHIT ?? 0));
    f32.set(m.data, w("OFF_DATA") + s * N);
    for (const p of m.train) f32[w("OFF_WTR") + s * N + p] = 1 / Math.max(1, m.train.length);
    for (const p of m.validation) f32[w("OFF_WVA") + s * N + p] = 1 / Math.max(1, m.validation.length);
    if (pre === PRE.fixed)
      f32.set(
        fixedPrefactor(task, spec.params.subarray(s * P, (s + 1) * P), spec.layout.alpha!),
        w("OFF_PF") + s * G * F,
      );
    const clip = st.optimiser.clipnorm;
    f32[w("OFF_LR") + s] = st.optimiser.learningRate;
    f32[w("OFF_CLIP") + s] = clip !== undefined && clip > 0 ? clip : 0;
    f32[w("OFF_MOM") + s] = st.optimiser.momentum ?? 0;
    f32[w("OFF_LAMBDA") + s] = st.positivity;
    if (st.dropout > 0) {
      const keep = 1 - st.dropout;
      i32[w("OFF_HASDROP") + s] = 1;
      f32[w("OFF_DSCALE") + s] = 1 / keep;
      // u = x / 2^32 < keep ⟺ x ≤ ceil(keep · 2^32) − 1 for the integer draw x
      u32[w("OFF_DLIM") + s] = Math.min(2 ** 32, Math.ceil(keep * 2 ** 32)) - 1;
      u32.set(rngState(st.dropoutSeed), w("OFF_RNG") + 4 * s);
    }
    i32[w("OFF_PATIENCE") + s] = st.patience;
    i32[w("OFF_HASVAL") + s] = m.validation.length > 0 ? 1 : 0;
    i32[w("OFF_ACTIVE") + s] = 1;
    f32[w("OFF_BESTVAL") + s] = Number.POSITIVE_INFINITY;
    f32[w("OFF_TRAIN") + s] = Number.NaN;
    f32[w("OFF_VAL") + s] = Number.NaN;
  });
}

const threadsSchema = z.coerce.number().int().min(1).max(64);

/** ENGINE_CPU_THREADS, else the machine's parallelism (at most 8). */
function defaultThreads(): number {
  const env = process.env.ENGINE_CPU_THREADS;
  if (env === undefined || env === "") return Math.max(1, Math.min(8, availableParallelism()));
  const t = threadsSchema.safeParse(env);
  if (!t.success) throw new Error(`ENGINE_CPU_THREADS must be an integer from 1 to 64 (got "${env}")`);
  return t.data;
}

/** A CPU kernel backend with a given build and thread count (tests force each build with this). */
export function createCpuKernelBackend(options: CpuBackendOptions = {}): KernelBackend {
  const module = () => loadCpuKernel(options.build);
  const threads = () => options.threads ?? defaultThreads();
  return {
    kind: "cpu",
    maxEpochsPerStep: 50,
    available: async () => module() !== undefined,
    describe: async () => {
      const m = module();
      return m ? `cpu (${describeBuild[m.build]}, ${threads()} threads)` : "cpu (unavailable)";
    },
    async create(spec: KernelSpec): Promise<TrainingKernel> {
      const kernel = module();
      if (!kernel) throw new Error("cpu kernel: no build loads on this machine");
      const { task, layout: pl } = spec;
      const S = spec.members.length;
      if (spec.params.length !== S * pl.size)
        throw new Error(`params length ${spec.params.length} ≠ S·P = ${S * pl.size}`);
      if (spec.arch.preprocessing && !task.preprocessing)
        throw new Error("preprocessing needs the task's x per row");
      const T = Math.max(1, Math.min(threads(), S));
      const npred = Math.max(1, S);
      const wb = whiteningBlocks(task);
      const layout = memberLayout({
        sizes: pl.sizes,
        S,
        G: task.modelInputs.length,
        N: task.dataset.nPoints,
        NBLK: wb.blocks.length,
        BMAX: wb.B,
        P: pl.size,
        NPRED: npred,
        fk: task.head.kind === "fk",
        fixedPrefactor: !!spec.arch.preprocessing && !spec.arch.preprocessing.trainable,
        threads: T,
        lanes: kernel.lanes,
      });
      const region = allocateRegion(kernel, layout.bytes);
      writeStack(spec, kernel, layout, region, T);
      const pool = await KernelThreads.start(
        kernel,
        region,
        {
          words: M.WORDS,
          gen: M.CTL_GEN,
          cmd: M.CTL_CMD,
          steps: M.CTL_STEPS,
          done: M.CTL_DONE,
          rc: M.CTL_RC,
        },
        layout.stackTops,
        "member_run",
      );
      return new CpuTrainingKernel(spec, region, layout, pool, npred);
    },
  };
}

/** Every build that loads here, each as its own backend (the conformance suite runs them all). */
export function cpuKernelBackendsPresent(): [CpuBuild, KernelBackend][] {
  return (["native", "wasm-relaxed", "wasm"] as const).flatMap((build) =>
    loadCpuKernel(build) ? [[build, createCpuKernelBackend({ build })] as [CpuBuild, KernelBackend]] : [],
  );
}

/** The fastest CPU build present (kernel/select.ts loads this). */
export const cpuKernelBackend: KernelBackend = createCpuKernelBackend();
