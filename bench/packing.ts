/**
 * Trial packing benchmark: N small trials with the same architecture (the built-in closure task,
 * 16 or 2 replicas each, learning rate and patience differing per trial) trained one by one with
 * runTrial versus packed into one program with runTrials, on the TF.js backends of this machine
 * (wall and CPU time, best of --repeats alternated runs). Checks that every packed trial scores as
 * it does alone (exit 1 otherwise), prints a table and writes bench/results/packing.json.
 * Usage: npm run bench:packing [-- --quick] [--backends wasm,cpu] [--trials 8] [--replicas 16,2]
 * [--repeats 3]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  demoTrialDefaults,
  runTrial,
  runTrials,
  selectBackend,
  type TrialResult,
  type TrialSpec,
} from "../packages/engine/src/index.ts";

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes("--quick");
const nTrials = Number(arg("trials") ?? (quick ? 4 : 8));
/** Replicas per trial, one workload each: the issue's 16, and very small trials of 2. */
const replicaCounts = (arg("replicas") ?? "16,2").split(",").map(Number);
const maxEpochs = quick ? 60 : 200;
const repeats = Number(arg("repeats") ?? (quick ? 1 : 3));
const backends = (arg("backends") ?? "wasm,cpu").split(",") as ("wasm" | "cpu")[];
const here = dirname(fileURLToPath(import.meta.url));

/** N trials of one architecture (2 layers 20-15, tanh, adam), differing in learning rate and patience. */
function specs(backend: "wasm" | "cpu", replicas: number): TrialSpec[] {
  return Array.from({ length: nTrials }, (_, i) => ({
    task: demoTrialDefaults.task,
    replicas,
    folds: 1,
    seed: 1000 + i,
    maxEpochs,
    reportEvery: 20,
    params: {
      n_layers: 2,
      units_1: 20,
      units_2: 15,
      activation: "tanh",
      optimizer: "adam",
      learning_rate: 3e-3 * 1.5 ** (i % 5),
      stopping_patience: 0.15 + 0.05 * (i % 4),
    },
    backend,
  }));
}

interface Timed {
  /** Wall time. */
  seconds: number;
  /** CPU time of this process (user + system): less sensitive to other load on a shared machine. */
  cpuSeconds: number;
  results: TrialResult[];
}

async function timed(run: () => Promise<TrialResult[]>): Promise<Timed> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const results = await run();
  const c = process.cpuUsage(c0);
  return { seconds: (performance.now() - t0) / 1000, cpuSeconds: (c.user + c.system) / 1e6, results };
}

const oneByOne = (list: TrialSpec[]) =>
  timed(async () => {
    const results: TrialResult[] = [];
    for (const s of list) results.push(await runTrial(s));
    return results;
  });

const packed = (list: TrialSpec[]) => timed(() => Promise.all(runTrials(list)));

interface Row {
  backend: string;
  trials: number;
  membersPerTrial: number;
  epochs: number[];
  oneByOneSeconds: number;
  packedSeconds: number;
  oneByOneTrialsPerS: number;
  packedTrialsPerS: number;
  /** Wall-time speed-up, best run of each mode. */
  ratio: number;
  oneByOneCpuSeconds: number;
  packedCpuSeconds: number;
  /** CPU-time speed-up (the machine's other load inflates wall time, much less CPU time). */
  cpuRatio: number;
  /** Largest relative difference of L1 between a trial packed and alone (float32 rounding). */
  maxRelDiffL1: number;
}

const rows: Row[] = [];
for (const backend of backends)
  for (const replicas of replicaCounts) {
    await selectBackend(backend);
    const list = specs(backend, replicas);
    // warm-up: backend initialisation and kernel compilation out of the timings
    await runTrial({ ...list[0]!, maxEpochs: 5 });
    await Promise.all(runTrials(list.slice(0, 2).map((s) => ({ ...s, maxEpochs: 5 }))));
    const none: Timed = {
      seconds: Number.POSITIVE_INFINITY,
      cpuSeconds: Number.POSITIVE_INFINITY,
      results: [],
    };
    let solo = none;
    let pack = none;
    let soloCpu = Number.POSITIVE_INFINITY;
    let packCpu = Number.POSITIVE_INFINITY;
    // alternate the two, best of `repeats` each (the machine is shared)
    for (let r = 0; r < repeats; r++) {
      const a = await oneByOne(list);
      if (a.seconds < solo.seconds) solo = a;
      soloCpu = Math.min(soloCpu, a.cpuSeconds);
      const b = await packed(list);
      if (b.seconds < pack.seconds) pack = b;
      packCpu = Math.min(packCpu, b.cpuSeconds);
    }
    const maxRelDiffL1 = Math.max(
      ...pack.results.map((p, i) => Math.abs(p.L1 - solo.results[i]!.L1) / Math.abs(solo.results[i]!.L1)),
    );
    const epochsMatch = pack.results.every((p, i) => p.epochs === solo.results[i]!.epochs);
    if (!epochsMatch || !(maxRelDiffL1 < 1e-3)) {
      console.error(
        `packed results differ from one-by-one results on ${backend} (max rel diff ${maxRelDiffL1})`,
      );
      process.exitCode = 1;
    }
    rows.push({
      backend,
      trials: nTrials,
      membersPerTrial: replicas,
      epochs: solo.results.map((r) => r.epochs),
      oneByOneSeconds: solo.seconds,
      packedSeconds: pack.seconds,
      oneByOneTrialsPerS: nTrials / solo.seconds,
      packedTrialsPerS: nTrials / pack.seconds,
      ratio: solo.seconds / pack.seconds,
      oneByOneCpuSeconds: soloCpu,
      packedCpuSeconds: packCpu,
      cpuRatio: soloCpu / packCpu,
      maxRelDiffL1,
    });
  }

const machine = `${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, no GPU backend`;
console.log(
  `\ntrial packing: ${nTrials} closure trials × ${replicaCounts.join(" or ")} replicas, MLP 20-15 tanh, adam, up to ${maxEpochs} epochs\n${machine}, load average ${loadavg()[0]!.toFixed(1)}\n`,
);
console.log(
  "| backend | replicas/trial | one by one (trials/s) | packed (trials/s) | ratio | CPU s one by one / packed | CPU ratio | max rel. diff of L1 |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
for (const r of rows)
  console.log(
    `| ${r.backend} | ${r.membersPerTrial} | ${r.oneByOneTrialsPerS.toFixed(3)} (${r.oneByOneSeconds.toFixed(1)} s) | ${r.packedTrialsPerS.toFixed(3)} (${r.packedSeconds.toFixed(1)} s) | ${r.ratio.toFixed(2)}× | ${r.oneByOneCpuSeconds.toFixed(1)} / ${r.packedCpuSeconds.toFixed(1)} | ${r.cpuRatio.toFixed(2)}× | ${r.maxRelDiffL1.toExponential(1)} |`,
  );

const dir = join(here, "results");
mkdirSync(dir, { recursive: true });
const file = join(dir, "packing.json");
writeFileSync(
  file,
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      command: `npm run bench:packing${args.length ? ` -- ${args.join(" ")}` : ""}`,
      machine,
      loadAverage: loadavg(),
      workload: {
        task: demoTrialDefaults.task,
        trials: nTrials,
        replicas: replicaCounts,
        folds: 1,
        hidden: [20, 15],
        maxEpochs,
        repeats,
      },
      rows,
    },
    null,
    2,
  )}\n`,
);
console.log(`\nwrote ${file}`);
