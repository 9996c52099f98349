/**
 * Closure-test acceptance figures for the built-in task (issue 3): level-0 fit, level-2 closure with
 * 100 replicas and 3 folds (L1, bias/variance), and L1 / phi2 across model sizes. Takes a few minutes
 * on two cores, on the default path (auto: the fused CPU kernel without a GPU); the level-2 trial also
 * runs on the TF.js trainer for the whole-trial speedup. Usage: npm run bench:engine-closure
 * [-- --replicas 100] [-- --engine auto|cpu|webgpu|tfjs] [-- --no-compare]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runTrial, selectTrainer, type TrialResult } from "../packages/engine/src/index.ts";
import { type TrainerChoice, trainerChoices } from "../packages/engine/src/kernel/select.ts";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const replicas = arg("replicas", 100);
const sizeReplicas = arg("size-replicas", 30);
const taskSeed = arg("task-seed", 7);
const training = { learning_rate: 0.01, stopping_patience: 0.2 };
const engineArg = process.argv[process.argv.indexOf("--engine") + 1];
const engine = (
  process.argv.includes("--engine") && (trainerChoices as readonly string[]).includes(engineArg ?? "")
    ? engineArg
    : "auto"
) as TrainerChoice;
const selected = await selectTrainer(engine);
// TF.js is runTrial's own default (its wasm backend, as before)
let trainer = selected.kind === "tfjs" ? undefined : selected;
console.log(`engine ${selected.name}, load average ${loadavg()[0]!.toFixed(1)}, ${cpus().length} CPUs`);

async function trial(
  level: 0 | 1 | 2,
  R: number,
  params: Record<string, number>,
  maxEpochs: number,
): Promise<TrialResult> {
  return runTrial(
    {
      task: { kind: "closure", level, seed: taskSeed },
      replicas: R,
      folds: 3,
      seed: 1,
      maxEpochs,
      reportEvery: 100,
      params: { ...training, ...params },
      backend: "wasm",
    },
    trainer ? { trainer } : {},
  );
}

const reference = { n_layers: 2, units_1: 25, units_2: 20 };
const rows: Record<string, unknown>[] = [];
const show = (name: string, r: TrialResult) => {
  const row = {
    name,
    L1: r.L1,
    L2: r.L2,
    phi2: r.phi2,
    foldChi2: r.foldChi2,
    bias: r.closure?.bias,
    variance: r.closure?.variance,
    ratio: r.closure?.ratio,
    epochs: r.epochs,
    seconds: r.durationSeconds,
  };
  rows.push(row);
  console.log(
    `${name.padEnd(44)} L1 ${r.L1.toFixed(4).padStart(8)}  phi2 ${r.phi2.toFixed(4).padStart(7)}  bias/var ${(r.closure?.ratio ?? Number.NaN).toFixed(3).padStart(6)}  folds [${r.foldChi2.map((c) => c.toFixed(3)).join(", ")}]  ${r.durationSeconds.toFixed(1)} s`,
  );
};

const level0 = await trial(0, 4, reference, 600);
show("level 0, 2-25-20-3, R=4", level0);
const level2 = await trial(2, replicas, reference, 800);
show(`level 2, 2-25-20-3, R=${replicas}`, level2);
let speedup: { path: string; seconds: number; tfjsSeconds: number; speedupVsTfjs: number } | undefined;
if (trainer && !process.argv.includes("--no-compare")) {
  const own = trainer;
  trainer = undefined;
  const ref = await trial(2, replicas, reference, 800);
  show(`level 2, 2-25-20-3, R=${replicas}, TF.js trainer`, ref);
  trainer = own;
  speedup = {
    path: own.name,
    seconds: level2.durationSeconds,
    tfjsSeconds: ref.durationSeconds,
    speedupVsTfjs: ref.durationSeconds / level2.durationSeconds,
  };
  console.log(`whole trial: ${own.name} ${speedup.speedupVsTfjs.toFixed(1)}x the TF.js trainer`);
}
const sized: TrialResult[] = [];
for (const [name, p] of [
  ["1x2 (under-sized)", { n_layers: 1, units_1: 2 }],
  ["8-6", { n_layers: 2, units_1: 8, units_2: 6 }],
  ["25-20 (reference)", reference],
  ["45-40", { n_layers: 2, units_1: 45, units_2: 40 }],
] as const) {
  const r = await trial(2, sizeReplicas, p, 800);
  sized.push(r);
  show(`level 2, ${name}, R=${sizeReplicas}`, r);
}

// Issue 3's acceptance criteria, checked: the run fails (exit 1) when one is missed.
const [under, small, ref, large] = sized as [TrialResult, TrialResult, TrialResult, TrialResult];
const ratio = level2.closure?.ratio ?? Number.NaN;
const checks: [string, boolean][] = [
  [`level 0 held-out chi2 ${level0.L1.toFixed(4)} < 0.1`, level0.L1 < 0.1],
  [`level 2 L1 ${level2.L1.toFixed(3)} in [0.7, 1.5]`, level2.L1 >= 0.7 && level2.L1 <= 1.5],
  [`level 2 bias/variance ${ratio.toFixed(3)} in [0.5, 2]`, ratio >= 0.5 && ratio <= 2],
  [`under-sized L1 ${under.L1.toFixed(3)} > 1.2 x reference ${ref.L1.toFixed(3)}`, under.L1 > 1.2 * ref.L1],
  [
    `phi2 grows with size: ${small.phi2.toFixed(4)} < ${ref.phi2.toFixed(4)} < ${large.phi2.toFixed(4)}`,
    small.phi2 < ref.phi2 && ref.phi2 < large.phi2,
  ],
];
for (const [what, ok] of checks) console.log(`${ok ? "PASS" : "FAIL"}  ${what}`);

const dir = join(dirname(fileURLToPath(import.meta.url)), "results");
mkdirSync(dir, { recursive: true });
const file = join(dir, `engine-closure-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-")}.json`);
writeFileSync(
  file,
  JSON.stringify(
    {
      date: new Date().toISOString(),
      engine: selected.name,
      loadAverage: loadavg(),
      speedup,
      taskSeed,
      training,
      rows,
      checks: checks.map(([what, ok]) => ({ what, ok })),
    },
    null,
    2,
  ),
);
console.log(`wrote ${file}`);
if (checks.some(([, ok]) => !ok)) process.exit(1);
