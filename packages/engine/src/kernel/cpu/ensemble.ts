/**
 * A stacked MLP ensemble on the fused CPU kernel: R replicas, each with its own targets, parameters
 * and optimiser state (learning rate, clipnorm, momentum per replica), trained full-batch on shared
 * inputs by T worker threads. The loss of replica r is Σ_n w_n Σ_f (out_{r,n,f} − y_{r,n,f})²
 * (default w_n = 1/(N·F): the mean squared error). Nothing is read back between `step` calls unless
 * asked (`losses`, `readParameters`).
 */
import type { Activation } from "../../model/mlp.ts";
import type { OptimiserConfig, OptimiserName } from "../../train/optimisers.ts";
import { BLOCK, H, type RegionLayout, type RegionShape, regionLayout, writeHeader } from "./layout.ts";
import { type CpuKernelModule, loadCpuKernel } from "./load.ts";
import { allocateRegion, KernelThreads } from "./threads.ts";

export interface MlpEnsembleSpec {
  /** [in, …hidden, out] */
  sizes: number[];
  activation: Activation;
  optimiser: OptimiserName;
  /** Per replica (length R): learning rate, clipnorm (absent: none), momentum. */
  rows: Omit<OptimiserConfig, "name">[];
  /** Inputs shared by every replica, [N][in] row-major. */
  inputs: ArrayLike<number>;
  /** Targets per replica, [R][N][out] row-major. */
  targets: ArrayLike<number>;
  /** Initial parameters [R][P] in the flat layout of model/mlp.ts. */
  params: Float32Array;
  /** Loss weight per point [N]; default 1/(N·out). */
  pointWeights?: ArrayLike<number>;
}

export interface CpuRunOptions {
  threads?: number;
  kernel?: CpuKernelModule;
}

export class CpuMlpEnsemble {
  private disposed = false;

  private constructor(
    readonly kernel: CpuKernelModule,
    readonly threads: number,
    readonly layout: RegionLayout,
    private readonly buffer: SharedArrayBuffer,
    private readonly offset: number,
    private readonly ctl: Int32Array,
    private readonly pool: KernelThreads,
    readonly replicas: number,
  ) {}

  static async create(spec: MlpEnsembleSpec, opts: CpuRunOptions = {}): Promise<CpuMlpEnsemble> {
    const kernel = opts.kernel ?? loadCpuKernel();
    if (!kernel) throw new Error("cpu kernel: no build loads on this machine");
    const threads = opts.threads ?? 2;
    const R = spec.rows.length;
    const d = spec.sizes[0]!;
    const F = spec.sizes[spec.sizes.length - 1]!;
    const N = spec.inputs.length / d;
    if (!Number.isInteger(N) || N < 1) throw new Error(`cpu kernel: inputs length ${spec.inputs.length}`);
    if (spec.targets.length !== R * N * F)
      throw new Error(`cpu kernel: targets length ${spec.targets.length}`);
    const shape: RegionShape = { sizes: spec.sizes, replicas: R, points: N, threads, lanes: kernel.lanes };
    const layout = regionLayout(shape);
    if (spec.params.length !== R * layout.P)
      throw new Error(`cpu kernel: params length ${spec.params.length}`);

    const region = allocateRegion(kernel, layout.bytes);
    const { buffer, offset } = region;
    const ctl = new Int32Array(buffer, offset, H.WORDS);
    writeHeader(ctl, shape, layout, spec.activation, spec.optimiser);
    const f32 = (at: number, n: number) => new Float32Array(buffer, offset + at, n);
    const h = layout.header;
    const NP = layout.NP;
    const X = f32(h.OFF_X, d * NP);
    for (let n = 0; n < N; n++) for (let i = 0; i < d; i++) X[i * NP + n] = spec.inputs[n * d + i]!;
    const Y = f32(h.OFF_Y, R * F * NP);
    for (let r = 0; r < R; r++)
      for (let n = 0; n < N; n++)
        for (let o = 0; o < F; o++) Y[(r * F + o) * NP + n] = spec.targets[(r * N + n) * F + o]!;
    const pw = f32(h.OFF_PW, NP);
    for (let n = 0; n < N; n++) pw[n] = spec.pointWeights ? spec.pointWeights[n]! : 1 / (N * F);
    f32(h.OFF_PARAMS, R * layout.P).set(spec.params);
    spec.rows.forEach((row, r) => {
      f32(h.OFF_LR, R)[r] = row.learningRate;
      f32(h.OFF_CLIP, R)[r] = row.clipnorm !== undefined && row.clipnorm > 0 ? row.clipnorm : 0;
      f32(h.OFF_MOM, R)[r] = row.momentum ?? 0;
    });
    f32(h.OFF_ACTIVE, R).fill(1);
    const pool = await KernelThreads.start(
      kernel,
      region,
      { words: H.WORDS, gen: H.CTL_GEN, cmd: H.CTL_CMD, steps: H.CTL_STEPS, done: H.CTL_DONE, rc: H.CTL_RC },
      layout.stackTops.slice(0, threads),
      "kernel_run",
    );
    return new CpuMlpEnsemble(kernel, threads, layout, buffer, offset, ctl, pool, R);
  }

  get P(): number {
    return this.layout.P;
  }

  /** Steps taken so far. */
  get step(): number {
    return this.ctl[H.STEP]!;
  }

  /** Run `steps` full-batch steps of every replica on all threads. */
  async run(steps: number): Promise<void> {
    if (this.disposed) throw new Error("cpu kernel: disposed");
    await this.pool.run(steps);
    const ctl = this.ctl;
    ctl[H.STEP] = ctl[H.STEP]! + steps;
  }

  private f32(at: number, n: number): Float32Array {
    return new Float32Array(this.buffer, this.offset + at, n);
  }

  /** Loss of every replica at the last step (before its update), [R]. */
  losses(): Float32Array {
    return this.f32(this.layout.header.OFF_LOSS, this.replicas).slice();
  }

  readParameters(): Float32Array {
    return this.f32(this.layout.header.OFF_PARAMS, this.replicas * this.P).slice();
  }

  /** Freeze (0) or train (1) each replica; a frozen replica's parameters and state do not change. */
  setActive(flags: ArrayLike<boolean>): void {
    const a = this.f32(this.layout.header.OFF_ACTIVE, this.replicas);
    for (let r = 0; r < this.replicas; r++) a[r] = flags[r] ? 1 : 0;
  }

  /** Bytes of the shared region (everything the kernel touches). */
  get regionBytes(): number {
    return this.layout.bytes;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.pool.dispose();
  }
}

export { BLOCK };
