/**
 * The fused CPU kernel's threads: a region of shared memory (a SharedArrayBuffer for the native
 * addon, a shared WebAssembly.Memory for the wasm builds) and T worker threads (worker.mjs) that run
 * one of the kernel's entry points over it whenever the host bumps the command generation. Both
 * kernels of this folder (ensemble.ts, backend.ts) run on it.
 */
import { Worker } from "node:worker_threads";
import { type CpuKernelModule, nativeMisalignment } from "./load.ts";

/** Where the region's control words are (the same names in kernel.h and member.h). */
export interface ControlWords {
  words: number;
  gen: number;
  cmd: number;
  steps: number;
  done: number;
  rc: number;
}

export interface Region {
  buffer: SharedArrayBuffer;
  /** Byte offset of the region in the buffer (64-byte aligned as the kernel sees it). */
  offset: number;
  memory?: WebAssembly.Memory;
}

/** A zeroed region of `bytes` for the kernel build. */
export function allocateRegion(kernel: CpuKernelModule, bytes: number): Region {
  if (kernel.build === "native") {
    const buffer = new SharedArrayBuffer(bytes + 64);
    return { buffer, offset: (64 - nativeMisalignment(new Uint8Array(buffer))) % 64 };
  }
  // the region starts above the module's own data (its __heap_base)
  const probe = new WebAssembly.Instance(kernel.module!, {
    env: { memory: new WebAssembly.Memory({ initial: 32, maximum: 32, shared: true }) },
  });
  const heapBase = (probe.exports.__heap_base as WebAssembly.Global).value as number;
  const offset = Math.ceil(heapBase / 64) * 64;
  const pages = Math.ceil((offset + bytes) / 65536);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: 65536, shared: true });
  return { buffer: memory.buffer as unknown as SharedArrayBuffer, offset, memory };
}

/** Atomics.waitAsync (Node ≥ 16; typed only from lib es2024 on). */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<string> | string };
  }
).waitAsync;

const workerUrl = new URL("./worker.mjs", import.meta.url);

export class KernelThreads {
  private failure: Error | undefined;
  private disposed = false;

  private constructor(
    private readonly ctl: Int32Array,
    private readonly words: ControlWords,
    private readonly workers: Worker[],
  ) {}

  /** Start one worker per stack top, each running `entry` ("kernel_run" | "member_run") on demand. */
  static async start(
    kernel: CpuKernelModule,
    region: Region,
    words: ControlWords,
    stackTops: number[],
    entry: "kernel_run" | "member_run",
  ): Promise<KernelThreads> {
    const ctl = new Int32Array(region.buffer, region.offset, words.words);
    const workers = stackTops.map(
      (top, thread) =>
        new Worker(workerUrl, {
          workerData: {
            build: kernel.build === "native" ? "native" : "wasm",
            entry,
            module: kernel.module,
            memory: region.memory,
            buffer: region.buffer,
            offset: region.offset,
            thread,
            stackTop: region.offset + top,
            addonPath: kernel.addonPath,
            ctl: words,
          },
        }),
    );
    const pool = new KernelThreads(ctl, words, workers);
    const ready = workers.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          w.once("message", () => resolve());
          w.once("error", reject);
        }),
    );
    for (const w of workers)
      w.on("error", (e) => {
        pool.failure = e;
        // wake a host waiting for this thread
        Atomics.add(ctl, words.done, workers.length);
        Atomics.notify(ctl, words.done);
      });
    try {
      await Promise.all(ready);
    } catch (e) {
      pool.dispose();
      throw e;
    }
    return pool;
  }

  get threads(): number {
    return this.workers.length;
  }

  /** Every thread runs the entry point with `steps`; resolves when all are done. */
  async run(steps: number): Promise<void> {
    if (this.disposed) throw new Error("cpu kernel: used after dispose()");
    const { ctl, words: C } = this;
    Atomics.store(ctl, C.done, 0);
    Atomics.store(ctl, C.rc, 0);
    Atomics.store(ctl, C.steps, steps);
    Atomics.store(ctl, C.cmd, 1);
    Atomics.add(ctl, C.gen, 1);
    Atomics.notify(ctl, C.gen);
    for (;;) {
      const done = Atomics.load(ctl, C.done);
      if (done >= this.workers.length) break;
      const w = waitAsync(ctl, C.done, done);
      if (w.async) await w.value;
    }
    if (this.failure) throw this.failure;
    const rc = Atomics.load(ctl, C.rc);
    if (rc !== 0) throw new Error(`cpu kernel: the kernel returned ${rc}`);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    Atomics.store(this.ctl, this.words.cmd, 2);
    Atomics.add(this.ctl, this.words.gen, 1);
    Atomics.notify(this.ctl, this.words.gen);
    for (const w of this.workers) void w.terminate();
  }
}
