/**
 * A stacked MLP ensemble on the fused CPU kernel: R replicas, each with its own targets, parameters
 * and optimiser state (learning rate, clipnorm, momentum per replica), trained full-batch on shared
 * inputs by T worker threads. The loss of replica r is Σ_n w_n Σ_f (out_{r,n,f} − y_{r,n,f})²
 * (default w_n = 1/(N·F): the mean squared error). Nothing is read back between `step` calls unless
 * asked (`losses`, `readParameters`).
 */
import { Worker } from "node:worker_threads";
import type { Activation } from "../../model/mlp.ts";
import type { OptimiserConfig, OptimiserName } from "../../train/optimisers.ts";
import { BLOCK, H, type RegionLayout, type RegionShape, regionLayout, writeHeader } from "./layout.ts";
import { type CpuKernelModule, loadCpuKernel, nativeMisalignment } from "./load.ts";

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

/** Atomics.waitAsync (Node ≥ 16; typed only from lib es2024 on). */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<string> | string };
  }
).waitAsync;

const workerUrl = new URL("./worker.mjs", import.meta.url);

export class CpuMlpEnsemble {
  private disposed = false;
  private failure: Error | undefined;

  private constructor(
    readonly kernel: CpuKernelModule,
    readonly threads: number,
    readonly layout: RegionLayout,
    private readonly buffer: SharedArrayBuffer,
    private readonly offset: number,
    private readonly ctl: Int32Array,
    private readonly workers: Worker[],
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

    let buffer: SharedArrayBuffer;
    let offset: number;
    let memory: WebAssembly.Memory | undefined;
    if (kernel.build === "native") {
      buffer = new SharedArrayBuffer(layout.bytes + 64);
      offset = (64 - nativeMisalignment(new Uint8Array(buffer))) % 64;
    } else {
      const probe = new WebAssembly.Instance(kernel.module!, {
        env: { memory: new WebAssembly.Memory({ initial: 32, maximum: 32, shared: true }) },
      });
      const heapBase = (probe.exports.__heap_base as WebAssembly.Global).value as number;
      offset = Math.ceil(heapBase / 64) * 64;
      const pages = Math.ceil((offset + layout.bytes) / 65536);
      memory = new WebAssembly.Memory({ initial: pages, maximum: 65536, shared: true });
      buffer = memory.buffer as unknown as SharedArrayBuffer;
    }
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

    const workers: Worker[] = [];
    const ready: Promise<void>[] = [];
    for (let t = 0; t < threads; t++) {
      const w = new Worker(workerUrl, {
        workerData: {
          build: kernel.build === "native" ? "native" : "wasm",
          module: kernel.module,
          memory,
          buffer,
          offset,
          thread: t,
          stackTop: offset + layout.stackTops[t]!,
          addonPath: kernel.addonPath,
          ctl: {
            words: H.WORDS,
            gen: H.CTL_GEN,
            cmd: H.CTL_CMD,
            steps: H.CTL_STEPS,
            done: H.CTL_DONE,
            rc: H.CTL_RC,
          },
        },
      });
      ready.push(
        new Promise((resolve, reject) => {
          w.once("message", () => resolve());
          w.once("error", reject);
        }),
      );
      workers.push(w);
    }
    const ens = new CpuMlpEnsemble(kernel, threads, layout, buffer, offset, ctl, workers, R);
    for (const w of workers)
      w.on("error", (e) => {
        ens.failure = e;
        // wake a host waiting for this thread
        Atomics.add(ctl, H.CTL_DONE, threads);
        Atomics.notify(ctl, H.CTL_DONE);
      });
    try {
      await Promise.all(ready);
    } catch (e) {
      ens.dispose();
      throw e;
    }
    return ens;
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
    const ctl = this.ctl;
    Atomics.store(ctl, H.CTL_DONE, 0);
    Atomics.store(ctl, H.CTL_RC, 0);
    Atomics.store(ctl, H.CTL_STEPS, steps);
    Atomics.store(ctl, H.CTL_CMD, 1);
    Atomics.add(ctl, H.CTL_GEN, 1);
    Atomics.notify(ctl, H.CTL_GEN);
    for (;;) {
      const done = Atomics.load(ctl, H.CTL_DONE);
      if (done >= this.threads) break;
      const w = waitAsync(ctl, H.CTL_DONE, done);
      if (w.async) await w.value;
    }
    if (this.failure) throw this.failure;
    const rc = Atomics.load(ctl, H.CTL_RC);
    if (rc !== 0) throw new Error(`cpu kernel: kernel_run returned ${rc}`);
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
    Atomics.store(this.ctl, H.CTL_CMD, 2);
    Atomics.add(this.ctl, H.CTL_GEN, 1);
    Atomics.notify(this.ctl, H.CTL_GEN);
    for (const w of this.workers) void w.terminate();
  }
}

export { BLOCK };
