/**
 * Whole-trial benchmark of the WebGPU engine (packages/engine/src/webgpu/trainer.ts): the built-in
 * closure task (198 points, FK head over 50 x-grid rows, block-correlated covariance), NNPDF's
 * reference network 2→25→20→3 (tanh), Adam lr 1e-3, R replicas × 3 folds as one program, the chi2
 * through the whitening, early-stopping bookkeeping on the device, state read back every
 * `--report` epochs. Patience is the epoch count, so every member trains every epoch.
 *
 * Before timing, the chi2 loss and gradient on the device are checked against the float64 reference
 * (testing/training.ts referenceTaskLoss) at R = 2, and the run aborts on a relative error above 1e-4.
 * `--tfjs` also times the TF.js trainer (cpu backend in Node) at the same sizes: the engine it replaces.
 *
 * Usage: npx tsx bench/webgpu-trial.ts [--R=1,10,100,1000] [--epochs=200] [--report=50]
 *        [--backend=auto|vulkan|opengles] [--kernel=cpu|fused] [--tfjs] [--machine=name]
 * Writes bench/results/webgpu-trial-<machine>.json (rows: path, device, R, members, memberEpochsPerS,
 * msPerEpoch). Bundled for a GPU machine by bench/webgpu-bundle.ts (run-trial.sh).
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { assignFolds } from "../packages/engine/src/data/replicas.ts";
import { buildClosureTask } from "../packages/engine/src/tasks/closure.ts";
import { stackSpec } from "../packages/engine/src/train/host.ts";
import { type EnsembleSetup, trainEnsemble } from "../packages/engine/src/train/trainer.ts";
import {
  type DawnBackend,
  getWebGpu,
  referenceTaskLoss,
  type TrainKernel,
  WebGpuChi2Ensemble,
} from "../packages/engine/src/webgpu/index.ts";
import { trainEnsembleWebGpu } from "../packages/engine/src/webgpu/trainer.ts";

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name: string): string | undefined =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

const Rs = (arg("R") ?? "1,10,100").split(",").map(Number);
const epochs = Number(arg("epochs") ?? 200);
const report = Number(arg("report") ?? 50);
const backend = (arg("backend") ?? "auto") as DawnBackend;
const kernel = arg("kernel") as TrainKernel | undefined;
const task = buildClosureTask(2, 7);

function setup(R: number): EnsembleSetup {
  return {
    task,
    arch: {
      inputDim: 2,
      hidden: [25, 20],
      outputDim: 3,
      activation: "tanh",
      initializer: "glorot_normal",
      dropout: 0,
      preprocessing: { alphaInit: [0.55, 0.55], betaInit: [3.4, 3.4], trainable: false },
    },
    optimiser: { name: "adam", learningRate: 1e-3 },
    seed: 1,
    replicaIds: Array.from({ length: R }, (_, r) => r),
    folds: assignFolds(task.dataset, 3, 1),
    trainingFraction: 0.75,
    maxEpochs: epochs,
    patienceEpochs: epochs,
    reportEvery: report,
  };
}

async function deviceCheck(device: GPUDevice): Promise<number> {
  const s = setup(2);
  const { spec } = stackSpec([s]);
  const { layout, params } = spec;
  const members = spec.members.map((m) => m.member);
  const ens = await WebGpuChi2Ensemble.create(device, { ...spec, ...(kernel ? { kernel } : {}) });
  try {
    const gpu = await ens.lossAndGradient();
    const ref = referenceTaskLoss({ task, arch: s.arch, layout, members, params });
    let err = 0;
    ref.train.forEach((v, i) => {
      err = Math.max(err, Math.abs(gpu.train[i]! - v) / v);
    });
    const scale = Math.max(...ref.grad.map(Math.abs));
    ref.grad.forEach((v, i) => {
      err = Math.max(err, Math.abs(gpu.grad[i]! - v) / scale);
    });
    return err;
  } finally {
    ens.destroy();
  }
}

interface Row {
  path: string;
  device: string;
  R: number;
  members: number;
  epochs: number;
  msPerEpoch: number;
  memberEpochsPerS: number;
}

const ctx = await getWebGpu(backend);
const check = await deviceCheck(ctx.device);
console.log(`device: ${ctx.description} (${ctx.backend}); chi2 check vs float64: ${check.toExponential(2)}`);
if (!(check < 1e-4)) {
  console.error("the device's chi2 or gradient disagrees with float64: not timing");
  process.exit(1);
}
const rows: Row[] = [];
const time = async (path: string, device: string, R: number, train: () => Promise<unknown>) => {
  await train(); // compile and warm up
  const t0 = performance.now();
  await train();
  const ms = performance.now() - t0;
  const members = 3 * R;
  const row = {
    path,
    device,
    R,
    members,
    epochs,
    msPerEpoch: ms / epochs,
    memberEpochsPerS: (members * epochs) / (ms / 1000),
  };
  rows.push(row);
  console.log(
    `${path.padEnd(14)} R=${String(R).padStart(5)}  ${row.msPerEpoch.toFixed(3).padStart(9)} ms/epoch  ${row.memberEpochsPerS.toFixed(0).padStart(9)} member-epochs/s`,
  );
};
for (const R of Rs) {
  const s = setup(R);
  await time("webgpu", ctx.description, R, () =>
    trainEnsembleWebGpu(
      s,
      {},
      { backend: ctx.backend, maxEpochsPerReadback: report, ...(kernel ? { kernel } : {}) },
    ),
  );
  if (process.argv.includes("--tfjs")) await time("tfjs-cpu", "CPU", R, () => trainEnsemble(s));
}

const machine =
  arg("machine") ?? (ctx.isCpu ? "llvmpipe" : ctx.description.replace(/[^a-z0-9]+/gi, "-").slice(0, 40));
const dir = existsSync(join(here, "results")) ? join(here, "results") : join(process.cwd(), "results");
mkdirSync(dir, { recursive: true });
const file = join(dir, `webgpu-trial-${machine}.json`);
writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), check, rows }, null, 2));
console.log(`wrote ${file}`);
process.exit(0);
