/**
 * Multi-fidelity benchmark: epochs needed to reach a target on a synthetic learning-curve family,
 * for full-budget random search against ASHA, Hyperband (both with random sampling) and ASHA + BO
 * (TPE on the highest rung with enough results). One worker; a trial costs the epochs it ran.
 *
 * Curves: loss(x, t) = branin(x) + s(x) exp(-t / tau(x)) with the start gap s in [20, 120] rising
 * with x1 and the time constant tau in [3, 30] rising with x0 (as a learning rate would set it), so
 * slow learners look bad early and curves cross. The objective is the loss at maxT = 81; the
 * target is the 2% quantile of that objective under random sampling.
 *
 *   npm run bench:search-mf -- --seeds 20
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  createAshaBo,
  createSampler,
  createScheduler,
  parseSearchSpace,
  type Sampler,
  type Scheduler,
  SearchRng,
  type StoredTrial,
} from "@hyperensemble/engine/search";
import { TEST_FUNCTIONS } from "./search-functions.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const MAX_T = 81;
const EPOCH_CAP = 200 * MAX_T;
const TRIAL_CAP = 4000;
const branin = TEST_FUNCTIONS.find((f) => f.name === "branin")!;
const space = parseSearchSpace({
  x0: { type: "float", low: -5, high: 10 },
  x1: { type: "float", low: 0, high: 15 },
});

function curve(params: Record<string, unknown>, t: number): number {
  const x = [params["x0"] as number, params["x1"] as number];
  const s = 20 + (100 * x[1]!) / 15;
  const tau = 3 + (27 * (x[0]! + 5)) / 15;
  return branin.f(x) + s * Math.exp(-t / tau);
}

function percentile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = ((s.length - 1) * q) / 100;
  return s[Math.floor(pos)]! + (s[Math.ceil(pos)]! - s[Math.floor(pos)]!) * (pos - Math.floor(pos));
}

/** Runs trials one after another until a completed trial reaches the target; returns epochs used. */
function epochsToTarget(sampler: Sampler, scheduler: Scheduler | undefined, target: number): number {
  const trials: StoredTrial[] = [];
  let epochs = 0;
  while (epochs < EPOCH_CAP && trials.length < TRIAL_CAP) {
    const params = sampler.ask(space, trials);
    const trial: StoredTrial = { number: trials.length, params, state: "RUNNING", intermediate: [] };
    trials.push(trial);
    for (let t = 1; t <= MAX_T; t++) {
      const value = curve(params, t);
      epochs++;
      const prune = scheduler?.shouldPrune(trial, t, value, trials) ?? false;
      trial.intermediate!.push([t, value]);
      if (prune) {
        trial.state = "PRUNED";
        break;
      }
      if (t === MAX_T) {
        trial.state = "COMPLETE";
        trial.value = value;
        if (value <= target) return epochs;
      }
    }
  }
  return EPOCH_CAP;
}

const METHODS: Record<string, (seed: number) => { sampler: Sampler; scheduler?: Scheduler }> = {
  "random (full budget)": (seed) => ({ sampler: createSampler({ name: "random", seed }) }),
  "random + ASHA": (seed) => ({
    sampler: createSampler({ name: "random", seed }),
    scheduler: createScheduler({ name: "asha", gracePeriod: 1, eta: 3, maxT: MAX_T }),
  }),
  "random + Hyperband": (seed) => ({
    sampler: createSampler({ name: "random", seed }),
    scheduler: createScheduler({ name: "hyperband", minResource: 1, maxResource: MAX_T, eta: 3, seed }),
  }),
  "ASHA + BO (TPE)": (seed) => createAshaBo({ name: "tpe", seed }, { gracePeriod: 1, eta: 3, maxT: MAX_T }),
  "ASHA + BO (GP)": (seed) => createAshaBo({ name: "gp", seed }, { gracePeriod: 1, eta: 3, maxT: MAX_T }),
};

function main() {
  const i = process.argv.indexOf("--seeds");
  const seeds = i >= 0 ? Number(process.argv[i + 1]) : 20;
  const rng = new SearchRng(12345);
  const randomObjectives = Array.from({ length: 20000 }, () =>
    curve({ x0: rng.uniformIn(-5, 10), x1: rng.uniformIn(0, 15) }, MAX_T),
  );
  const target = percentile(randomObjectives, 2);
  const started = Date.now();
  const rows = Object.entries(METHODS).map(([method, make]) => {
    const t0 = performance.now();
    const epochs = Array.from({ length: seeds }, (_, seed) => {
      const { sampler, scheduler } = make(seed);
      return epochsToTarget(sampler, scheduler, target);
    });
    process.stderr.write(`  ${method}: ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    return {
      method,
      seeds,
      medianEpochs: percentile(epochs, 50),
      q1: percentile(epochs, 25),
      q3: percentile(epochs, 75),
      censored: epochs.filter((e) => e >= EPOCH_CAP).length,
      seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
    };
  });
  const base = rows[0]!.medianEpochs;
  console.log(
    `target: objective at epoch ${MAX_T} <= ${target.toFixed(3)} (2% quantile under random sampling)`,
  );
  console.log(
    ["method", "median epochs", "q1", "q3", "vs random", "not reached"].map((h) => h.padEnd(22)).join(""),
  );
  for (const r of rows) {
    console.log(
      [
        r.method,
        String(r.medianEpochs),
        String(r.q1),
        String(r.q3),
        (r.medianEpochs / base).toFixed(2),
        String(r.censored),
      ]
        .map((c) => c.padEnd(22))
        .join(""),
    );
  }
  const date = new Date().toISOString().slice(0, 10);
  const out = path.resolve(here, "results", `search-multifidelity-${date}.json`);
  const meta = {
    command: "npm run bench:search-mf",
    date: new Date().toISOString(),
    machine: `${os.cpus()[0]?.model ?? "cpu"} x${os.cpus().length}, node ${process.version}`,
    maxT: MAX_T,
    target,
    seconds: (Date.now() - started) / 1000,
  };
  writeFileSync(
    out,
    `${JSON.stringify({ meta, rows: rows.map((r) => ({ ...r, vsRandom: r.medianEpochs / base })) }, null, 2)}\n`,
  );
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}

main();
