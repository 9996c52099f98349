/**
 * Engine benchmark: batched (stacked) replicas versus one replica at a time on our TensorFlow.js
 * engine, against PyTorch on the CPU in the same run (../shared reference script), on
 *  A. the reference workload: MLP 2→25→20→8 on N=4000 points, Adam, MSE (replica-steps/s);
 *  B. the platform's workload: the demo closure trial (16 replicas × folds, FK head, chi2 loss).
 *  C. the fused CPU kernels (bench/engine-cpu.ts: WebAssembly and native, 1 and 2 threads) against
 *     PyTorch CPU at R = 1 … 1000: the bench-only kernel.c (`cpu-kernel-*` rows) and the trainer's
 *     member.c (`trainer-*` rows, checked against a float64 reference on the workload first), and
 *     memory per replica; rows in bench/results/engine.json.
 * Prints a table and writes JSON to bench/results/.
 * Usage: npm run bench:engine [-- --quick] [-- --cpu-kernel-only]
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import {
  buildClosureTask,
  demoTrialDefaults,
  runTrial,
  selectBackend,
  selectTrainer,
  trainEnsemble,
} from "../packages/engine/src/index.ts";
import {
  type ArchitectureConfig,
  forward,
  initialParameters,
  parameterLayout,
} from "../packages/engine/src/model/mlp.ts";
import { StackedOptimiser } from "../packages/engine/src/train/optimisers.ts";
import { ensembleSetup } from "../packages/engine/src/trial.ts";
import { cpuKernelRows, printKernelRows } from "./engine-cpu.ts";

const quick = process.argv.includes("--quick");
const here = dirname(fileURLToPath(import.meta.url));
const torchScript = "/work/shared/reference/torch_ensemble_bench.py";
const python = "/usr/bin/python3";
const N = 4000;
const arch: ArchitectureConfig = {
  inputDim: 2,
  hidden: [25, 20],
  outputDim: 8,
  activation: "tanh",
  initializer: "glorot_uniform",
  dropout: 0,
};

interface Row {
  workload: string;
  impl: string;
  R: number;
  msPerStep: number;
  replicaStepsPerS: number;
}

/** Same data as the PyTorch script: x log-spaced and linear, targets sin(x·w + phase_r). */
function referenceData(R: number): { X: tf.Tensor3D; Y: tf.Tensor3D } {
  const xs: number[] = [];
  for (let i = 0; i < N / 2; i++) xs.push(10 ** (-5 + (4.999 * i) / (N / 2 - 1)));
  for (let i = 0; i < N / 2; i++) xs.push(0.1 + (0.899 * i) / (N / 2 - 1));
  const w = [1, 2, 3, 5, 7, 11, 13, 17];
  const X = tf.tensor3d(
    xs.flatMap((x) => [x, Math.log(x)]),
    [1, N, 2],
  );
  const y = new Float32Array(R * N * 8);
  for (let r = 0; r < R; r++)
    for (let n = 0; n < N; n++)
      for (let k = 0; k < 8; k++) y[(r * N + n) * 8 + k] = Math.sin(xs[n]! * w[k]! + ((r * 2.399) % 6.283));
  return { X, Y: tf.tensor3d(y, [R, N, 8]) };
}

/** ms per Adam step of R stacked replicas (median of timed steps after warm-up). */
function timeStacked(R: number, budgetMs: number): number {
  const layout = parameterLayout(arch);
  const init = new Float32Array(R * layout.size);
  for (let r = 0; r < R; r++) init.set(initialParameters(arch, layout, 1, r), r * layout.size);
  const params = tf.variable(tf.tensor2d(init, [R, layout.size]));
  const opt = new StackedOptimiser({ name: "adam", learningRate: 1e-3 }, [R, layout.size]);
  const { X, Y } = referenceData(R);
  const inputs = tf.tile(X, [R, 1, 1]) as tf.Tensor3D;
  const active = tf.ones([R, 1]) as tf.Tensor2D;
  const step = () =>
    tf.tidy(() => {
      const { grad } = tf.valueAndGrad(
        (p: tf.Tensor2D) =>
          tf.sum(tf.mean(tf.square(tf.sub(forward(arch, layout, p, { inputs }), Y)), [1, 2])) as tf.Scalar,
      )(params as unknown as tf.Tensor2D);
      opt.apply(params, grad as tf.Tensor2D, active);
    });
  for (let i = 0; i < 3; i++) step();
  params.dataSync();
  const times: number[] = [];
  const end = performance.now() + budgetMs;
  while (times.length < 3 || (performance.now() < end && times.length < 200)) {
    const t0 = performance.now();
    step();
    params.dataSync();
    times.push(performance.now() - t0);
  }
  tf.dispose([params, X, Y, inputs, active]);
  opt.dispose();
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

function torchRows(variant: string, Rs: number[], budget: number): Row[] {
  if (!existsSync(torchScript) || !existsSync(python)) return [];
  const out = spawnSync(python, [torchScript, variant, Rs.join(","), String(budget)], { encoding: "utf8" });
  return out.stdout
    .split("\n")
    .filter((l) => l.startsWith("RESULT "))
    .map(
      (l) =>
        JSON.parse(l.slice(7)) as {
          impl: string;
          R: number;
          ms_step_synced: number;
          ms_step_pipelined: number;
          replica_steps_per_s: number;
        },
    )
    .map((r) => ({
      workload: "A: MLP 2-25-20-8, N=4000",
      impl: r.impl,
      R: r.R,
      msPerStep: Math.min(r.ms_step_synced, r.ms_step_pipelined),
      replicaStepsPerS: r.replica_steps_per_s,
    }));
}

/** Workload B: ms per epoch of the demo ensemble, stacked vs one member at a time (no early stop). */
async function demoEpochs(epochs: number): Promise<Row[]> {
  const spec = { ...demoTrialDefaults, seed: 1, maxEpochs: epochs, params: { stopping_patience: 1 } };
  const task = buildClosureTask(spec.task.level, spec.task.seed);
  const { setup } = ensembleSetup(spec, task);
  const S = spec.replicas * spec.folds;
  let t0 = performance.now();
  await trainEnsemble(setup);
  const stacked = (performance.now() - t0) / epochs;
  t0 = performance.now();
  const oneAtATime = quick ? 4 : spec.replicas;
  for (let r = 0; r < oneAtATime; r++)
    await trainEnsemble({ ...setup, replicaIds: [r], folds: [setup.folds[0]!] });
  const single = ((performance.now() - t0) / epochs / oneAtATime) * S;
  const w = `B: demo closure ensemble (${spec.replicas} replicas x ${spec.folds} folds)`;
  return [
    { workload: w, impl: "engine-stacked", R: S, msPerStep: stacked, replicaStepsPerS: (S / stacked) * 1e3 },
    {
      workload: w,
      impl: "engine-one-at-a-time",
      R: S,
      msPerStep: single,
      replicaStepsPerS: (S / single) * 1e3,
    },
  ];
}

/** Part C: the fused CPU kernel's rows, printed and written to bench/results/engine.json. */
async function cpuKernelPart(): Promise<void> {
  const { rows, memory, check, clock } = await cpuKernelRows(quick);
  printKernelRows(rows, memory, check);
  const file = join(here, "results", "engine.json");
  const body = `${JSON.stringify(
    {
      date: new Date().toISOString(),
      cpus: cpus().length,
      cpu: cpus()[0]?.model,
      node: process.version,
      loadAverage: loadavg(),
      quick,
      // shareOfPeak: cpus × clock × lanes × 2 FMA pipes × 2 flops (bench/engine-cpu.ts peakGflops)
      clock,
      trainerCheck: check,
      rows,
      memory,
    },
    null,
    2,
  )}\n`;
  // engine.json is the latest run; each run is also kept under its own date for the figures quoted.
  const dated = join(
    here,
    "results",
    `engine-cpu-${new Date().toISOString().slice(0, 19).replace(/[T:]/g, "-")}.json`,
  );
  writeFileSync(file, body);
  writeFileSync(dated, body);
  console.log(`wrote ${file} and ${dated}`);
}

async function main(): Promise<void> {
  if (process.argv.includes("--cpu-kernel-only")) return cpuKernelPart();
  const backend = await selectBackend("wasm");
  const rows: Row[] = [];
  const Rs = quick ? [1, 10] : [1, 10, 100];
  const budget = quick ? 500 : 1500;
  for (const R of Rs) {
    const ms = timeStacked(R, budget);
    rows.push({
      workload: "A: MLP 2-25-20-8, N=4000",
      impl: `engine-${backend}-stacked`,
      R,
      msPerStep: ms,
      replicaStepsPerS: (R / ms) * 1e3,
    });
  }
  const ms1 = rows[0]!.msPerStep;
  for (const R of Rs.filter((r) => r > 1))
    rows.push({
      workload: "A: MLP 2-25-20-8, N=4000",
      impl: `engine-${backend}-one-at-a-time`,
      R,
      msPerStep: ms1 * R,
      replicaStepsPerS: 1e3 / ms1,
    });
  rows.push(
    ...torchRows("cpu", Rs, budget / 1000),
    ...torchRows(
      "cpu_seq",
      Rs.filter((r) => r <= 10),
      budget / 1000,
    ),
  );
  rows.push(...(await demoEpochs(quick ? 50 : 150)));
  const demoSpec = { ...demoTrialDefaults, seed: 1, params: { learning_rate: 0.01 } };
  let t0 = performance.now();
  const demo = await runTrial(demoSpec);
  const demoWall = (performance.now() - t0) / 1000;
  // the same trial on the default path (auto: the fused CPU kernel on a machine without a GPU)
  const trainer = await selectTrainer("auto");
  t0 = performance.now();
  const demoDefault = await runTrial(demoSpec, trainer.kind === "tfjs" ? {} : { trainer });
  const defaultWall = (performance.now() - t0) / 1000;

  console.log(
    `\nbackend ${backend}, ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), node ${process.version}, load average ${loadavg()[0]!.toFixed(1)}\n`,
  );
  console.log(
    `${"workload".padEnd(52)} ${"implementation".padEnd(34)} ${"R".padStart(5)} ${"ms/step".padStart(10)} ${"replica-steps/s".padStart(16)}`,
  );
  for (const r of rows)
    console.log(
      `${r.workload.padEnd(52)} ${r.impl.padEnd(34)} ${String(r.R).padStart(5)} ${r.msPerStep.toFixed(2).padStart(10)} ${r.replicaStepsPerS.toFixed(0).padStart(16)}`,
    );
  console.log(
    `\ndemo trial (runTrial, ${demoTrialDefaults.replicas} replicas x ${demoTrialDefaults.folds} folds, max ${demoTrialDefaults.maxEpochs} epochs): TF.js ${demoWall.toFixed(2)} s, ${demo.epochs} epochs, L1 ${demo.L1.toFixed(3)}; default path ${trainer.name} ${defaultWall.toFixed(2)} s (${(demoWall / defaultWall).toFixed(1)}x), ${demoDefault.epochs} epochs, L1 ${demoDefault.L1.toFixed(3)}`,
  );
  const dir = join(here, "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `engine-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-")}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        backend,
        cpus: cpus().length,
        loadAverage: loadavg(),
        quick,
        rows,
        demoTrial: { seconds: demoWall, epochs: demo.epochs, L1: demo.L1 },
        demoTrialDefaultPath: {
          path: trainer.name,
          seconds: defaultWall,
          epochs: demoDefault.epochs,
          L1: demoDefault.L1,
          speedupVsTfjs: demoWall / defaultWall,
        },
      },
      null,
      2,
    ),
  );
  console.log(`wrote ${file}`);
  await cpuKernelPart();
}

await main();
