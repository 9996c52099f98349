/**
 * Parallel benchmark: 8 asynchronous workers against one, at equal trial counts. Trials take
 * Uniform(0.5, 1.5) time units; a worker that finishes tells its result and asks again while the
 * other seven trials are still running (pending), in simulated time. Centralised samplers see the
 * pending trials (TPE: constant liar; GP: kriging believer plus local penalisation, or either alone
 * in gp-kb and gp-lp);
 * decentralised BO gives each worker its own sampler (own seed and kappa) over the shared history.
 * 20 seeds by default, as the sampler benchmark (METHOD.md §6: medians over >= 20 seeds).
 *
 *   npm run bench:search-parallel -- --seeds 20 [--functions branin,hartmann6] [--samplers tpe,gp,gp-kb,gp-lp,dbo-rf]
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  createSampler,
  parseSearchSpace,
  type Sampler,
  type SamplerConfig,
  SearchRng,
  type StoredTrial,
} from "@hyperensemble/engine/search";
import { TEST_FUNCTIONS, type TestFunction } from "./search-functions.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const TRIALS = 100;

function percentile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = ((s.length - 1) * q) / 100;
  return s[Math.floor(pos)]! + (s[Math.ceil(pos)]! - s[Math.floor(pos)]!) * (pos - Math.floor(pos));
}

/** Simple regret after `TRIALS` completed trials with `workers` asynchronous workers. */
function simulate(fn: TestFunction, samplers: Sampler[], seed: number): number {
  const space = parseSearchSpace(
    Object.fromEntries(fn.bounds.map(([low, high], i) => [`x${i}`, { type: "float", low, high }])),
  );
  const durations = new SearchRng(seed + 99991);
  const trials: StoredTrial[] = [];
  const running: Array<{ end: number; trial: StoredTrial; worker: number }> = [];
  const launch = (worker: number, now: number) => {
    const params = samplers[worker]!.ask(space, trials);
    const trial: StoredTrial = { number: trials.length, params, state: "RUNNING" };
    trials.push(trial);
    running.push({ end: now + durations.uniformIn(0.5, 1.5), trial, worker });
  };
  samplers.forEach((_, w) => {
    launch(w, 0);
  });
  let best = Number.POSITIVE_INFINITY;
  while (running.length > 0) {
    running.sort((a, b) => a.end - b.end);
    const next = running.shift()!;
    next.trial.state = "COMPLETE";
    next.trial.value = fn.f(fn.bounds.map((_, d) => next.trial.params[`x${d}`] as number));
    best = Math.min(best, next.trial.value);
    if (trials.length < TRIALS) launch(next.worker, next.end);
  }
  return best - fn.fStar;
}

const MODES: Record<string, (seed: number, workers: number) => Sampler[]> = {
  tpe: (seed, workers) => Array.from({ length: workers }, () => createSampler({ name: "tpe", seed })),
  gp: (seed, workers) => Array.from({ length: workers }, () => createSampler({ name: "gp", seed })),
  "gp-kb": (seed, workers) =>
    Array.from({ length: workers }, () => createSampler({ name: "gp", seed, pending: "believer" })),
  "gp-lp": (seed, workers) =>
    Array.from({ length: workers }, () => createSampler({ name: "gp", seed, pending: "penalise" })),
  "dbo-rf": (seed, workers) =>
    Array.from({ length: workers }, (_, w) =>
      createSampler({ name: "dbo", seed, workerId: `w${w}`, surrogate: "rf" } as SamplerConfig),
    ),
};

function main() {
  const i = process.argv.indexOf("--seeds");
  const seeds = i >= 0 ? Number(process.argv[i + 1]) : 20;
  const fi = process.argv.indexOf("--functions");
  const functions = fi >= 0 ? process.argv[fi + 1]!.split(",") : ["branin", "hartmann6"];
  const mi = process.argv.indexOf("--samplers");
  const modes = mi >= 0 ? process.argv[mi + 1]!.split(",") : ["tpe", "gp", "dbo-rf"];
  const rows: Array<Record<string, unknown>> = [];
  const started = Date.now();
  console.log(
    ["function", "sampler", "1 worker", "8 workers", "ratio 8/1"].map((h) => h.padEnd(16)).join(""),
  );
  for (const fn of TEST_FUNCTIONS.filter((f) => functions.includes(f.name))) {
    for (const [mode, make] of Object.entries(MODES).filter(([m]) => modes.includes(m))) {
      const seq = Array.from({ length: seeds }, (_, s) => simulate(fn, make(s, 1), s));
      const par = Array.from({ length: seeds }, (_, s) => simulate(fn, make(s, 8), s));
      const row = {
        function: fn.name,
        sampler: mode,
        seeds,
        trials: TRIALS,
        sequentialMedianRegret: percentile(seq, 50),
        parallel8MedianRegret: percentile(par, 50),
        ratio: percentile(par, 50) / percentile(seq, 50),
      };
      rows.push(row);
      console.log(
        [
          fn.name,
          mode,
          row.sequentialMedianRegret.toPrecision(3),
          row.parallel8MedianRegret.toPrecision(3),
          row.ratio.toFixed(2),
        ]
          .map((c) => c.padEnd(16))
          .join(""),
      );
    }
  }
  const date = new Date().toISOString().slice(0, 10);
  const out = path.resolve(here, "results", `search-parallel-${date}.json`);
  const meta = {
    command: [
      "npm run bench:search-parallel",
      ...(process.argv.length > 2 ? ["--", ...process.argv.slice(2)] : []),
    ].join(" "),
    seeds,
    date: new Date().toISOString(),
    machine: `${os.cpus()[0]?.model ?? "cpu"} x${os.cpus().length}, node ${process.version}`,
    seconds: (Date.now() - started) / 1000,
  };
  writeFileSync(out, `${JSON.stringify({ meta, rows }, null, 2)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}

main();
