/**
 * Dataset validation at real sizes (issue 13): the time validateDataset takes, and how long the
 * calling thread's event loop is held meanwhile (the longest gap between 10 ms timer ticks), for
 *   - N points in B correlated blocks (one sub-dataset per block, a normalisation uncertainty),
 *   - N points with statistical errors only (1 × 1 blocks),
 *   - one dense block of M points (a sub-dataset with a normalisation uncertainty).
 * Prints a table and writes bench/results/dataset.json.
 * Usage: npm run bench:dataset [-- --points 10000 --blocks 10 --dense 5000]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type DatasetJson, DEFAULT_DATASET_LIMITS, validateDataset } from "../packages/engine/src/index.ts";

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const points = arg("points", 10_000);
const blocks = arg("blocks", 10);
const dense = arg("dense", 5_000);

function dataset(n: number, nb: number, normalisation: number): DatasetJson {
  const per = Math.ceil(n / nb);
  return {
    subsets: Array.from({ length: nb }, (_, b) => {
      const m = Math.min(per, n - b * per);
      return {
        name: `e${b}`,
        inputs: Array.from({ length: m }, (_, i) => [i / m]),
        values: Array.from({ length: m }, (_, i) => 1 + (i % 7) / 10),
        stat: Array.from({ length: m }, () => 0.05),
        ...(normalisation > 0 ? { normalisation } : {}),
      };
    }),
  };
}

async function measure(name: string, json: DatasetJson) {
  let longest = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 10);
  const t0 = performance.now();
  const v = await validateDataset(json, { ...DEFAULT_DATASET_LIMITS, validationMs: 600_000 });
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  longest = Math.max(longest, performance.now() - last);
  const row = {
    name,
    seconds: +seconds.toFixed(2),
    offThread: v.offThread,
    longestLoopGapMs: Math.round(longest),
  };
  console.log(
    `| ${name} | ${row.seconds} s | ${v.offThread ? "worker" : "inline"} | ${row.longestLoopGapMs} ms |`,
  );
  return row;
}

console.log("| dataset | validation | where | longest event-loop gap |\n| --- | --- | --- | --- |");
const rows = [
  await measure(`${points} points in ${blocks} correlated blocks`, dataset(points, blocks, 0.02)),
  await measure(`${points * 5} points, statistical errors only`, dataset(points * 5, blocks, 0)),
  await measure(`one dense block of ${dense} points`, dataset(dense, 1, 0.02)),
];
const out = join(dirname(fileURLToPath(import.meta.url)), "results", "dataset.json");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ date: new Date().toISOString(), cpus: cpus().length, loadavg: loadavg(), rows }, null, 2)}\n`,
);
