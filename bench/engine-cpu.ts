/**
 * The fused CPU kernels (packages/engine/src/kernel/cpu) on the reference workload — MLP 2→25→20→8,
 * N=4000, full-batch Adam, MSE, tanh, fp32 — against PyTorch's batched CPU training in the same run
 * (its better of OMP_NUM_THREADS 1 and 2 per R), plus memory per replica. Two kernels: `cpu-kernel-*`
 * rows are kernel.c through CpuMlpEnsemble (MSE only, a replica's point blocks split across threads;
 * used by this benchmark and its tests, not by the trainer); `trainer-*` rows are member.c, the
 * kernel the engine's trainer runs, through the TrainingKernel interface (bench/engine-trainer-cpu.ts,
 * which also checks it against a float64 reference on this workload). Part of `npm run
 * bench:engine`; alone: `npx tsx bench/engine.ts --cpu-kernel-only`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cpus } from "node:os";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { CpuMlpEnsemble } from "../packages/engine/src/kernel/cpu/ensemble.ts";
import { type CpuBuild, loadCpuKernel } from "../packages/engine/src/kernel/cpu/load.ts";
import {
  type TrainerCheck,
  trainerKernelCheck,
  trainerKernelRows,
  type Workload,
} from "./engine-trainer-cpu.ts";

const N = 4000;
const sizes = [2, 25, 20, 8];
const torchScript = "/work/shared/reference/torch_ensemble_bench.py";
const python = "/usr/bin/python3";
/** fp32 lanes of each build's vectors: AVX2 8, WebAssembly SIMD128 4. */
const lanes: Record<CpuBuild, number> = { native: 8, wasm: 4, "wasm-relaxed": 4 };

/**
 * The clock the peak is computed at, and where it came from: the frequency the CPU's model name
 * declares ("… @ 2.80GHz"), else lscpu's "CPU max MHz", else the highest "cpu MHz" /proc/cpuinfo
 * reports now (a virtual machine may give only this).
 */
export function cpuClock(): { ghz: number; source: string } {
  let info = "";
  try {
    info = readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    // not Linux: fall through to os.cpus()
  }
  const declared = /model name\s*:.*@\s*([\d.]+)\s*GHz/i.exec(info);
  if (declared)
    return { ghz: Number(declared[1]), source: `model name (${declared[0].split(":")[1]!.trim()})` };
  try {
    const max = /CPU max MHz:\s*([\d.]+)/.exec(execFileSync("lscpu", { encoding: "utf8" }));
    if (max) return { ghz: Number(max[1]) / 1000, source: "lscpu CPU max MHz" };
  } catch {
    // no lscpu
  }
  const now = [...info.matchAll(/cpu MHz\s*:\s*([\d.]+)/g)].map((m) => Number(m[1]));
  const mhz = now.length > 0 ? Math.max(...now) : Math.max(...cpus().map((c) => c.speed));
  return { ghz: mhz / 1000, source: "/proc/cpuinfo cpu MHz (current clock)" };
}

const clock = cpuClock();
/**
 * The machine's fp32 peak for a build, GFLOP/s: every core × clock × lanes × 2 FMA pipes × 2 flops
 * per FMA (two FMA pipes: Intel since Haswell, AMD since Zen 2). The same formula for SIMD128, which
 * has half the lanes (the plain build has no FMA instruction, so its reachable peak is lower still).
 */
export const peakGflops = (build: CpuBuild) => cpus().length * clock.ghz * lanes[build] * 2 * 2;

export interface KernelRow {
  path: string;
  device: string;
  R: number;
  threads: number;
  replicaStepsPerS: number;
  msPerStep: number;
  gflops: number;
  shareOfPeak?: number;
  vsTorch?: number;
  load: number;
}

const flops = (R: number) => 6 * N * R * (2 * 25 + 25 * 20 + 20 * 8);

/** The same data as the PyTorch script's: x log-spaced then linear, targets sin(x·w + phase_r). */
export function workload(R: number): Workload {
  const xs: number[] = [];
  for (let i = 0; i < N / 2; i++) xs.push(10 ** (-5 + (4.999 * i) / (N / 2 - 1)));
  for (let i = 0; i < N / 2; i++) xs.push(0.1 + (0.899 * i) / (N / 2 - 1));
  const w = [1, 2, 3, 5, 7, 11, 13, 17];
  const targets = new Float32Array(R * N * 8);
  for (let r = 0; r < R; r++)
    for (let n = 0; n < N; n++)
      for (let k = 0; k < 8; k++)
        targets[(r * N + n) * 8 + k] = Math.sin(xs[n]! * w[k]! + ((r * 2.399) % 6.283));
  const P = 2 * 25 + 25 + 25 * 20 + 20 + 20 * 8 + 8;
  const params = new Float32Array(R * P);
  const lims = [Math.sqrt(6 / 27), Math.sqrt(6 / 45), Math.sqrt(6 / 28)];
  let s = 12345;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  for (let r = 0; r < R; r++) {
    let o = r * P;
    for (let l = 0; l < 3; l++) {
      const n = sizes[l]! * sizes[l + 1]!;
      for (let i = 0; i < n; i++) params[o + i] = (2 * u() - 1) * lims[l]!;
      o += n + sizes[l + 1]!; // zero biases
    }
  }
  return { inputs: xs.flatMap((x) => [x, Math.log(x)]), targets, params };
}

const load1 = async () => (await import("node:os")).loadavg()[0]!;

/**
 * ms per step of R replicas after one warm-up step: `run(k)` steps k times, `read()` reads the losses
 * back after each chunk of ≤ 10 steps (fewer for large R), as a trainer's report points do.
 */
export async function msPerStep(
  R: number,
  budgetMs: number,
  run: (steps: number) => Promise<void>,
  read: () => Promise<unknown>,
): Promise<number> {
  await run(1);
  const chunk = Math.max(1, Math.min(10, Math.ceil(2000 / R)));
  let steps = 0;
  const t0 = performance.now();
  while (steps < 3 || performance.now() - t0 < budgetMs) {
    await run(chunk);
    await read();
    steps += chunk;
  }
  return (performance.now() - t0) / steps;
}

async function timeKernel(build: CpuBuild, threads: number, R: number, budgetMs: number): Promise<number> {
  const kernel = loadCpuKernel(build)!;
  const ens = await CpuMlpEnsemble.create(
    {
      sizes,
      activation: "tanh",
      optimiser: "adam",
      rows: Array.from({ length: R }, () => ({ learningRate: 1e-3 })),
      ...workload(R),
    },
    { threads, kernel },
  );
  try {
    return await msPerStep(
      R,
      budgetMs,
      (k) => ens.run(k),
      async () => ens.losses(),
    );
  } finally {
    ens.dispose();
  }
}

function torchMs(Rs: number[], threads: number, budget: number): Map<number, number> {
  const out = new Map<number, number>();
  if (!existsSync(torchScript) || !existsSync(python)) return out;
  const r = spawnSync(python, [torchScript, "cpu", Rs.join(","), String(budget)], {
    encoding: "utf8",
    env: { ...process.env, OMP_NUM_THREADS: String(threads) },
  });
  for (const l of r.stdout.split("\n").filter((x) => x.startsWith("RESULT "))) {
    const j = JSON.parse(l.slice(7)) as { R: number; ms_step_synced: number; ms_step_pipelined: number };
    out.set(j.R, Math.min(j.ms_step_synced, j.ms_step_pipelined));
  }
  return out;
}

export async function cpuKernelRows(
  quick: boolean,
): Promise<{ rows: KernelRow[]; memory: object[]; check: TrainerCheck[]; clock: typeof clock }> {
  const Rs = quick ? [1, 10] : [1, 10, 100, 1000];
  const budget = quick ? 300 : 1500;
  const rows: KernelRow[] = [];
  // wasm-relaxed loads only under --experimental-wasm-relaxed-simd (Node 20)
  const builds = (["wasm", "wasm-relaxed", "native"] as CpuBuild[]).filter((b) => loadCpuKernel(b));
  const memory = await memoryRows(quick, builds);
  const check = await trainerKernelCheck(workload);
  const row = async (path: string, build: CpuBuild, R: number, threads: number, ms: number) => {
    const gflops = flops(R) / ms / 1e6;
    return {
      path,
      device: { native: "cpu avx2+fma", wasm: "cpu wasm simd128", "wasm-relaxed": "cpu wasm relaxed-simd" }[
        build
      ],
      R,
      threads,
      msPerStep: ms,
      replicaStepsPerS: (R / ms) * 1e3,
      gflops,
      shareOfPeak: gflops / peakGflops(build),
      load: await load1(),
    };
  };
  for (const R of Rs)
    for (const build of builds)
      for (const threads of [1, 2])
        rows.push(
          await row(`cpu-kernel-${build}`, build, R, threads, await timeKernel(build, threads, R, budget)),
        );
  rows.push(...(await trainerKernelRows(Rs, budget, workload, row)));
  const t1 = torchMs(Rs, 1, budget / 1000);
  const t2 = torchMs(Rs, 2, budget / 1000);
  for (const R of Rs) {
    const a = t1.get(R);
    const b = t2.get(R);
    if (a === undefined && b === undefined) continue;
    const best = Math.min(a ?? Number.POSITIVE_INFINITY, b ?? Number.POSITIVE_INFINITY);
    const gflops = flops(R) / best / 1e6;
    for (const r of rows) if (r.R === R) r.vsTorch = best / r.msPerStep;
    rows.push({
      path: "torch-cpu-batched-eager",
      device: "cpu",
      R,
      threads: best === a ? 1 : 2,
      msPerStep: best,
      replicaStepsPerS: (R / best) * 1e3,
      gflops,
      shareOfPeak: gflops / peakGflops("native"),
      vsTorch: 1,
      load: await load1(),
    });
  }
  return { rows, memory, check, clock };
}

export function printKernelRows(rows: KernelRow[], memory: object[], check: TrainerCheck[]): void {
  for (const c of check)
    console.log(
      `trainer kernel (${c.build}) vs float64 reference, ${c.steps} Adam steps on this workload (R=${c.R}): losses within ${c.loss.toExponential(1)}, parameters within ${c.params.toExponential(1)} (relative)`,
    );
  console.log(
    `peak: ${cpus().length} cores × ${clock.ghz.toFixed(2)} GHz (${clock.source}) × lanes × 2 FMA pipes × 2 = native ${peakGflops("native").toFixed(0)}, wasm ${peakGflops("wasm").toFixed(0)} GFLOP/s`,
  );
  console.log(
    `\nfused CPU kernels vs PyTorch CPU (MLP 2-25-20-8, N=${N}, Adam, fp32; cpu-kernel = kernel.c, bench only; trainer = member.c, the trainer's)\n${"path".padEnd(26)} ${"R".padStart(5)} ${"thr".padStart(3)} ${"ms/step".padStart(9)} ${"repl-steps/s".padStart(12)} ${"GFLOP/s".padStart(8)} ${"peak".padStart(5)} ${"vs torch".padStart(8)} ${"load".padStart(5)}`,
  );
  for (const r of rows)
    console.log(
      `${r.path.padEnd(26)} ${String(r.R).padStart(5)} ${String(r.threads).padStart(3)} ${r.msPerStep.toFixed(2).padStart(9)} ${r.replicaStepsPerS.toFixed(0).padStart(12)} ${r.gflops.toFixed(1).padStart(8)} ${`${((r.shareOfPeak ?? 0) * 100).toFixed(0)}%`.padStart(5)} ${(r.vsTorch?.toFixed(2) ?? "-").padStart(8)} ${r.load.toFixed(1).padStart(5)}`,
    );
  for (const m of memory) console.log(JSON.stringify(m));
}

/**
 * Memory per replica, R = 10 … 5000: the shared region and the process's resident growth. Measured
 * before the speed rows (cpuKernelRows calls it first), when no earlier ensemble's workers are still
 * releasing memory: measured after them, the R=10 growth came out negative.
 */
async function memoryRows(quick: boolean, builds: CpuBuild[]): Promise<object[]> {
  // memory per replica: the shared region and the process's resident growth, R = 10 … 5000
  // A full collection and a pause before each baseline, so that garbage freed during the measurement cannot make
  // the resident growth negative (it did at R=10 without it).
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const memory: object[] = [];
  for (const R of quick ? [10, 100] : [10, 100, 1000, 5000]) {
    gc();
    await new Promise((r) => setTimeout(r, 500));
    gc();
    const before = process.memoryUsage().rss;
    const build = builds.includes("native") ? "native" : "wasm";
    const ens = await CpuMlpEnsemble.create(
      {
        sizes,
        activation: "tanh",
        optimiser: "adam",
        rows: Array.from({ length: R }, () => ({ learningRate: 1e-3 })),
        ...workload(R),
      },
      { threads: 2, kernel: loadCpuKernel(build)! },
    );
    await ens.run(1);
    const rss = process.memoryUsage().rss - before;
    memory.push({
      build,
      R,
      regionBytesPerReplica: Math.round(ens.regionBytes / R),
      rssBytesPerReplica: Math.round(rss / R),
    });
    ens.dispose();
  }
  return memory;
}
