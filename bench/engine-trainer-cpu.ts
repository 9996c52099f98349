/**
 * The trainer's CPU kernel (member.c behind kernel/cpu/backend.ts, driven through the TrainingKernel
 * interface as train/host.ts drives it) on the issue-4 workload, beside bench/engine-cpu.ts's rows of
 * the bench-only kernel.c. Part of `npm run bench:engine` (part C).
 *
 * What the member kernel computes per step here (testing/fixtures.ts mseKernelSpec): model row n is
 * point n's input, data point n·8 + k is output k of row n (select head), the covariance is the
 * identity and every point trains, so chi2_train = Σ (T − D)² / (N·8) is PyTorch's MSE and the
 * gradient and Adam step are the same formulas. Beyond PyTorch's step it does, per member and step:
 * the select gather and its scatter-add back (N·8 each), the whitening through 1×1 identity blocks
 * in float64 (training and validation χ² accumulated, the validation weights all 0), the activations
 * of all N points kept for back-propagation (kernel.c keeps one 64-point block), and the
 * early-stopping bookkeeping (with no validation points every epoch is the best: P floats copied).
 * No dropout, no positivity, no preprocessing, no early stop.
 */
import { createCpuKernelBackend } from "../packages/engine/src/kernel/cpu/backend.ts";
import { type CpuBuild, loadCpuKernel } from "../packages/engine/src/kernel/cpu/load.ts";
import type { KernelSpec } from "../packages/engine/src/kernel/kernel.ts";
import { maxRelDiff } from "../packages/engine/src/testing/compare.ts";
import { mseKernelSpec } from "../packages/engine/src/testing/fixtures.ts";
import { ReferenceEnsemble } from "../packages/engine/src/testing/training.ts";
import { type KernelRow, msPerStep } from "./engine-cpu.ts";

export interface Workload {
  inputs: number[];
  targets: Float32Array;
  params: Float32Array;
}

const sizes = [2, 25, 20, 8];
const optimiser = { name: "adam" as const, learningRate: 1e-3 };

const spec = (w: Workload) => mseKernelSpec({ sizes, activation: "tanh", optimiser, ...w });

/** ms per step of R members through the kernel interface, reading state back as a report would. */
async function timeTrainer(
  build: CpuBuild,
  threads: number,
  stack: KernelSpec,
  budgetMs: number,
): Promise<number> {
  const kernel = await createCpuKernelBackend({ build, threads }).create(stack);
  try {
    return await msPerStep(
      stack.members.length,
      budgetMs,
      (k) => kernel.step(k),
      () => kernel.state(),
    );
  } finally {
    kernel.dispose();
  }
}

/** Rows `trainer-<build>` at each R and thread count (the kernel uses min(threads, R) threads). */
export async function trainerKernelRows(
  Rs: number[],
  budgetMs: number,
  workload: (R: number) => Workload,
  row: (path: string, build: CpuBuild, R: number, threads: number, ms: number) => Promise<KernelRow>,
): Promise<KernelRow[]> {
  const builds = (["wasm", "wasm-relaxed", "native"] as CpuBuild[]).filter((b) => loadCpuKernel(b));
  const rows: KernelRow[] = [];
  for (const R of Rs) {
    const stack = spec(workload(R));
    for (const build of builds)
      for (const threads of [1, 2]) {
        const ms = await timeTrainer(build, threads, stack, budgetMs);
        rows.push(await row(`trainer-${build}`, build, R, threads, ms));
      }
  }
  return rows;
}

export interface TrainerCheck {
  build: CpuBuild;
  R: number;
  steps: number;
  /** Largest relative difference of the per-step losses, and of the final parameters, to float64. */
  loss: number;
  params: number;
}

/**
 * A few steps of the trainer's kernel on the workload itself (N = 4000, R = 2) against the float64
 * stacked-MLP reference with MSE (testing/training.ts ReferenceEnsemble): the rows above time a
 * computation that is this one.
 */
export async function trainerKernelCheck(
  workload: (R: number) => Workload,
  steps = 3,
): Promise<TrainerCheck[]> {
  const R = 2;
  const w = workload(R);
  const ref = new ReferenceEnsemble({
    sizes,
    activation: "tanh",
    optimiser,
    replicas: R,
    inputs: w.inputs,
    targets: w.targets,
    params: w.params,
  });
  const want = Array.from({ length: steps }, () => ref.step().train);
  const out: TrainerCheck[] = [];
  for (const build of (["wasm", "wasm-relaxed", "native"] as CpuBuild[]).filter((b) => loadCpuKernel(b))) {
    const kernel = await createCpuKernelBackend({ build, threads: 2 }).create(spec(w));
    try {
      let loss = 0;
      for (let s = 0; s < steps; s++) {
        await kernel.step(1);
        loss = Math.max(loss, maxRelDiff((await kernel.state()).train, want[s]!));
      }
      const params = maxRelDiff(await kernel.readParameters("current"), ref.params);
      out.push({ build, R, steps, loss, params });
    } finally {
      kernel.dispose();
    }
  }
  return out;
}
