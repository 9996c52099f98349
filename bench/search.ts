/**
 * Sampler quality benchmark: simple regret f(x_best) - f* versus trials on Branin, Hartmann6,
 * Rosenbrock4 and Levy4 (domains and optima of ../shared/reference/optuna_regret.py), median and
 * quartiles over seeds, ours against Optuna run in the same process tree at the same time.
 *
 *   npm run bench:search                     # 20 seeds, budgets 50,100, all samplers, with Optuna
 *   npm run bench:search -- --seeds 5 --no-optuna --samplers tpe,gp --functions branin
 *
 * Every sampler is budget-agnostic (it never knows n_trials), so the regret at budget 50 is read off
 * the first 50 trials of the 100-trial run; the Optuna script runs each budget separately.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  createSampler,
  OPTUNA31_TPE,
  parseSearchSpace,
  type SamplerConfig,
  type StoredTrial,
} from "@hyperensemble/engine/search";
import { TEST_FUNCTIONS } from "./search-functions.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const OPTUNA_SCRIPT =
  process.env["OPTUNA_REGRET_SCRIPT"] ?? path.resolve(here, "../../shared/reference/optuna_regret.py");
const PYTHON = process.env["OPTUNA_PYTHON"] ?? "/usr/bin/python3";

const OUR_SAMPLERS: Record<string, (seed: number) => SamplerConfig> = {
  random: (seed) => ({ name: "random", seed }),
  sobol: (seed) => ({ name: "sobol", seed }),
  tpe: (seed) => ({ name: "tpe", seed }),
  "tpe-independent": (seed) => ({ name: "tpe", seed, multivariate: false }),
  // Optuna 3.1's TPESampler defaults, independent and multivariate: the port's parity check.
  "tpe-optuna31": (seed) => ({ name: "tpe", seed, ...OPTUNA31_TPE }),
  "tpe-optuna31-mv": (seed) => ({ name: "tpe", seed, ...OPTUNA31_TPE, multivariate: true }),
  cmaes: (seed) => ({ name: "cmaes", seed }),
  gp: (seed) => ({ name: "gp", seed }),
  "gp-log": (seed) => ({ name: "gp", seed, outputWarping: "log" }),
  "gp-rank": (seed) => ({ name: "gp", seed, outputWarping: "rank" }),
  "gp-ucb": (seed) => ({ name: "gp", seed, acquisition: "ucb" }),
  "gp-ucb1": (seed) => ({ name: "gp", seed, acquisition: "ucb", kappa: 1 }),

  "dbo-rf": (seed) => ({ name: "dbo", seed, surrogate: "rf" }),
  // The default: picks per space (docs/search.md); on these continuous functions of <= 8 dimensions, GP.
  auto: (seed) => ({ name: "auto", seed }),
};
const DEFAULT_SAMPLERS = [
  "random",
  "sobol",
  "tpe",
  "tpe-optuna31",
  "tpe-optuna31-mv",
  "cmaes",
  "gp",
  "gp-ucb1",
  "auto",
];

interface Row {
  function: string;
  sampler: string;
  budget: number;
  seeds: number;
  medianRegret: number;
  q1: number;
  q3: number;
  seconds: number;
  vsOptunaTpe?: number;
  vsOptunaBest?: number;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

/** numpy.percentile's default (linear interpolation). */
function percentile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = ((s.length - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

function startOptuna(
  seeds: number,
  budgets: number[],
  functions: string[],
): Promise<{ rows: Row[]; note: string }> {
  if (!existsSync(OPTUNA_SCRIPT)) return Promise.resolve({ rows: [], note: `no ${OPTUNA_SCRIPT}` });
  return new Promise((resolve) => {
    const child = spawn(
      PYTHON,
      [
        OPTUNA_SCRIPT,
        "--seeds",
        String(seeds),
        "--budgets",
        budgets.join(","),
        "--functions",
        functions.join(","),
      ],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("error", (e) => resolve({ rows: [], note: `could not start ${PYTHON}: ${e.message}` }));
    child.on("close", (code) => {
      const rows = out
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as Record<string, number | string>)
        .map(
          (r): Row => ({
            function: String(r["function"]),
            sampler: String(r["sampler"]),
            budget: Number(r["budget"]),
            seeds: Number(r["seeds"]),
            medianRegret: Number(r["median_regret"]),
            q1: Number(r["q1"]),
            q3: Number(r["q3"]),
            seconds: Number(r["seconds"]),
          }),
        );
      const note =
        code === 0
          ? "ok"
          : `exit ${code}: ${err.trim().split("\n").slice(-1)[0] ?? ""} (apt-get install -y python3-optuna python3-scipy)`;
      resolve({ rows, note });
    });
  });
}

/** Best-so-far regret at each budget for one sampler, function and seed. */
function runOnce(config: SamplerConfig, fn: (typeof TEST_FUNCTIONS)[number], budgets: number[]): number[] {
  const space = parseSearchSpace(
    Object.fromEntries(fn.bounds.map(([low, high], i) => [`x${i}`, { type: "float", low, high }])),
  );
  const sampler = createSampler(config);
  const trials: StoredTrial[] = [];
  const regrets: number[] = [];
  let best = Number.POSITIVE_INFINITY;
  const maxBudget = Math.max(...budgets);
  for (let i = 0; i < maxBudget; i++) {
    const params = sampler.ask(space, trials);
    const value = fn.f(fn.bounds.map((_, d) => params[`x${d}`] as number));
    best = Math.min(best, value);
    trials.push({ number: i, params, state: "COMPLETE", value });
    if (budgets.includes(i + 1)) regrets.push(best - fn.fStar);
  }
  return regrets;
}

async function main() {
  const seeds = Number(arg("seeds", "20"));
  const budgets = arg("budgets", "50,100")
    .split(",")
    .map(Number)
    .sort((a, b) => a - b);
  const functions = arg("functions", TEST_FUNCTIONS.map((f) => f.name).join(",")).split(",");
  const samplers = arg("samplers", DEFAULT_SAMPLERS.join(",")).split(",");
  const withOptuna = !process.argv.includes("--no-optuna");
  const started = Date.now();
  const optuna = withOptuna
    ? startOptuna(seeds, budgets, functions)
    : Promise.resolve({ rows: [], note: "skipped (--no-optuna)" });

  const ours: Row[] = [];
  for (const fn of TEST_FUNCTIONS.filter((f) => functions.includes(f.name))) {
    for (const name of samplers) {
      const make = OUR_SAMPLERS[name];
      if (!make) throw new Error(`unknown sampler ${name}; have ${Object.keys(OUR_SAMPLERS).join(", ")}`);
      const t0 = performance.now();
      const perSeed: number[][] = [];
      for (let seed = 0; seed < seeds; seed++) {
        perSeed.push(runOnce(make(seed), fn, budgets));
        // Let the Optuna child's output drain while we compute.
        await new Promise((r) => setImmediate(r));
      }
      const seconds = (performance.now() - t0) / 1000;
      budgets.forEach((budget, b) => {
        const regrets = perSeed.map((r) => r[b]!);
        ours.push({
          function: fn.name,
          sampler: name,
          budget,
          seeds,
          medianRegret: percentile(regrets, 50),
          q1: percentile(regrets, 25),
          q3: percentile(regrets, 75),
          seconds: Number(seconds.toFixed(2)),
        });
      });
      process.stderr.write(`  ${fn.name} ${name}: ${seconds.toFixed(1)} s\n`);
    }
  }
  const oursSeconds = (Date.now() - started) / 1000;
  const { rows: optunaRows, note } = await optuna;
  const rows = [...ours, ...optunaRows];
  for (const row of rows) {
    const ref = optunaRows.filter((r) => r.function === row.function && r.budget === row.budget);
    const tpe = ref.find((r) => r.sampler === "optuna-tpe");
    const best = ref.length ? Math.min(...ref.map((r) => r.medianRegret)) : undefined;
    if (tpe) row.vsOptunaTpe = ratio(row.medianRegret, tpe.medianRegret);
    if (best !== undefined) row.vsOptunaBest = ratio(row.medianRegret, best);
  }
  printTable(rows, budgets);
  const date = new Date().toISOString().slice(0, 10);
  const out = path.resolve(here, "results", `search-${date}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  const meta = {
    command: [
      "npm run bench:search",
      ...(process.argv.length > 2 ? ["--", ...process.argv.slice(2)] : []),
    ].join(" "),
    date: new Date().toISOString(),
    machine: `${os.cpus()[0]?.model ?? "cpu"} x${os.cpus().length}, ${os.platform()} ${os.release()}, node ${process.version}`,
    seeds,
    budgets,
    optuna: note,
    oursSeconds: Number(oursSeconds.toFixed(1)),
    totalSeconds: Number(((Date.now() - started) / 1000).toFixed(1)),
  };
  writeFileSync(out, `${JSON.stringify({ meta, rows }, null, 2)}\n`);
  // The name for the latest figures: same content, a stable path.
  writeFileSync(
    path.resolve(here, "results", "samplers.json"),
    `${JSON.stringify({ meta, rows }, null, 2)}\n`,
  );
  console.log(
    `\nOptuna: ${note}. Ours ${meta.oursSeconds} s, total ${meta.totalSeconds} s. Wrote ${path.relative(process.cwd(), out)}`,
  );
}

function ratio(a: number, b: number): number {
  return Number((b > 0 ? a / b : a === 0 ? 1 : Number.POSITIVE_INFINITY).toPrecision(3));
}

function fmt(x: number | undefined): string {
  if (x === undefined) return "-";
  if (x === 0) return "0";
  return Math.abs(x) >= 0.01 && Math.abs(x) < 1e4 ? x.toPrecision(3) : x.toExponential(2);
}

function printTable(rows: Row[], budgets: number[]) {
  for (const budget of budgets) {
    console.log(`\nmedian simple regret at ${budget} trials (q1-q3); ratio = ours / Optuna`);
    console.log(
      ["function", "sampler", "median", "q1", "q3", "vs optuna-tpe", "vs optuna-best"]
        .map((h) => h.padEnd(17))
        .join(""),
    );
    for (const r of rows.filter((x) => x.budget === budget)) {
      console.log(
        [
          r.function,
          r.sampler,
          fmt(r.medianRegret),
          fmt(r.q1),
          fmt(r.q3),
          fmt(r.vsOptunaTpe),
          fmt(r.vsOptunaBest),
        ]
          .map((c) => c.padEnd(17))
          .join(""),
      );
    }
  }
}

await main();
