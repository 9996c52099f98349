/**
 * The platform's demo study, engine only: 8 configurations drawn from demoSearchSpace (seeded), each a
 * demoTrialDefaults trial, run one after another in one process. Prints per-trial time and the total
 * (target: all 8 well under 3 minutes on 2 cores). Usage: npx tsx bench/engine-demo.ts [trials]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type Distribution,
  demoSearchSpace,
  demoTrialDefaults,
  runTrial,
  selectConfiguration,
  TrialRng,
} from "../packages/engine/src/index.ts";

const started = performance.now();
const trials = Number(process.argv[2] ?? 8);
const rng = new TrialRng(2026);

function sample(d: Distribution): number | string | boolean {
  if (d.type === "categorical") return d.choices[Math.floor(rng.uniform() * d.choices.length)]!;
  const u = rng.uniform();
  const v = d.log
    ? Math.exp(Math.log(d.low) + u * (Math.log(d.high) - Math.log(d.low)))
    : d.low + u * (d.high - d.low);
  return d.type === "int" ? Math.min(d.high, Math.floor(v + (d.log ? 0 : u))) : v;
}

const rows: {
  id: string;
  params: Record<string, number | string | boolean>;
  seconds: number;
  epochs: number;
  L1: number;
  phi2: number;
}[] = [];
for (let t = 0; t < trials; t++) {
  const params = Object.fromEntries(Object.entries(demoSearchSpace).map(([k, d]) => [k, sample(d)]));
  const r = await runTrial({ ...demoTrialDefaults, seed: t, params });
  rows.push({ id: `t${t}`, params, seconds: r.durationSeconds, epochs: r.epochs, L1: r.L1, phi2: r.phi2 });
  console.log(
    `t${t}  ${r.durationSeconds.toFixed(2).padStart(6)} s  epochs ${String(r.epochs).padStart(4)}  L1 ${r.L1.toFixed(3)}  phi2 ${r.phi2.toFixed(3)}  ${JSON.stringify(params)}`,
  );
}
const total = (performance.now() - started) / 1000;
const sel = selectConfiguration(rows);
console.log(
  `\n${trials} trials in ${total.toFixed(1)} s (process start excluded; load average ${loadavg()[0]!.toFixed(1)}); argmin ${sel.argmin}, selected ${sel.selected}`,
);
const dir = join(dirname(fileURLToPath(import.meta.url)), "results");
mkdirSync(dir, { recursive: true });
writeFileSync(
  join(dir, "engine-demo.json"),
  JSON.stringify(
    { date: new Date().toISOString(), loadAverage: loadavg(), total, rows, selection: sel },
    null,
    2,
  ),
);
