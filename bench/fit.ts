/**
 * bench:fit (issue 16): a final fit of the example theory (scripts/theory-example.ts defaults: a
 * synthetic DIS-like theory, level 2, 6 × 20 points, 40 grid rows, 3 flavours) with R replicas on
 * every trainer present (TF.js wasm, the fused CPU kernel, the WGSL kernels where a GPU is), the
 * reference architecture. Wall time, replica-epochs and replica-epochs/s per trainer, post-fit counts.
 * Usage: npm run bench:fit [-- --replicas 100 --epochs 1000 --software-gpu]
 * Replica-epochs: each replica runs until its best epoch + patience (its stop) or the last epoch.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type EngineTrainer,
  engineTrainer,
  loadCpuKernelBackend,
  selectTrainer,
  syntheticTheory,
} from "../packages/engine/src/index.ts";
import { trainFit } from "../packages/platform/src/fitTrain.ts";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const replicas = arg("replicas", 100);
const maxEpochs = arg("epochs", 1000);
const patience = 0.2;
const theory = syntheticTheory({ level: 2, seed: 1 });

const trainers: { name: string; trainer?: EngineTrainer }[] = [{ name: "tfjs (wasm)" }];
const cpu = await loadCpuKernelBackend();
if (cpu && (await cpu.available()))
  trainers.push({ name: await cpu.describe(), trainer: engineTrainer(cpu, "cpu") });
try {
  const gpu = await selectTrainer("webgpu");
  // Mesa's llvmpipe is a CPU rasteriser, not a GPU: hours for 100 replicas on two cores; opt in
  if (!gpu.name.includes("llvmpipe") || process.argv.includes("--software-gpu"))
    trainers.push({ name: gpu.name, trainer: gpu });
  else console.log(`webgpu: only ${gpu.name} (a CPU rasteriser), skipped without --software-gpu`);
} catch (err) {
  console.log(`webgpu: not present (${(err as Error).message.split("\n")[0]})`);
}

const rows: Record<string, unknown>[] = [];
for (const t of trainers) {
  const started = performance.now();
  const fit = await trainFit(
    {
      task: { kind: "theory", dataset: theory },
      replicas,
      folds: 1,
      seed: 1,
      maxEpochs,
      reportEvery: 100,
      params: { n_layers: 2, units_1: 25, units_2: 20, learning_rate: 0.01, stopping_patience: patience },
      backend: "wasm",
    },
    t.trainer ? { trainer: t.trainer } : {},
  );
  const wall = (performance.now() - started) / 1000;
  const stopAfter = Math.max(1, Math.round(patience * maxEpochs));
  const replicaEpochs = fit.replicas.reduce(
    (n, r) => n + Math.min(maxEpochs, r.trainingEpochs + stopAfter),
    0,
  );
  const row = {
    trainer: t.name,
    replicas,
    maxEpochs,
    epochs: fit.epochs,
    wallSeconds: Number(wall.toFixed(2)),
    replicaEpochs,
    replicaEpochsPerSecond: Number((replicaEpochs / wall).toFixed(1)),
    kept: fit.selection.kept.length,
    discarded: Object.fromEntries(Object.entries(fit.selection.discarded).map(([k, v]) => [k, v.length])),
    centralChi2: Number(fit.centralChi2.toFixed(4)),
    phi2: Number(fit.phi2.toFixed(4)),
  };
  console.log(JSON.stringify(row));
  rows.push(row);
}

const out = join(dirname(fileURLToPath(import.meta.url)), "results", "fit.json");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ date: new Date().toISOString(), theory: theory.name, rows }, null, 2)}\n`,
);
console.log(`wrote ${out}`);
