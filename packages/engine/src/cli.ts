import { readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { selectTrainer, type TrainerChoice, trainerChoices } from "./kernel/select.ts";
import { parseTrialSpec, type TrialSpec, TrialSpecError } from "./spec.ts";
import { type RunTrialOptions, runTrial, type TrialResult } from "./trial.ts";

/**
 * `hyperensemble train <spec.yaml|spec.json> [--json] [--out result.json] [--engine auto|tfjs|webgpu|cpu]`:
 * run one trial locally with no services, printing a progress bar, the estimators per fold and the
 * losses. `--engine` picks the training kernel (kernel/select.ts): `auto` (default) the fastest
 * present (a GPU's WGSL kernels, else the fused CPU kernel, else TF.js), or one explicitly.
 */
const usage =
  "usage: hyperensemble train <spec.yaml|spec.json> [--json] [--out result.json] [--engine auto|tfjs|webgpu|cpu]";

/** A tabular dataset may be given as { file: "data.csv" | "data.json", ...csv options }. */
export function resolveDatasetFile(spec: Record<string, unknown>, baseDir: string): unknown {
  const task = spec["task"] as Record<string, unknown> | undefined;
  const ds = task?.["dataset"] as Record<string, unknown> | undefined;
  if (task?.["kind"] !== "tabular" || typeof ds?.["file"] !== "string") return spec;
  const { file, ...rest } = ds as Record<string, unknown>;
  const text = readFileSync(resolve(baseDir, file as string), "utf8");
  const dataset = (file as string).endsWith(".csv")
    ? { format: "csv", csv: text, ...rest }
    : JSON.parse(text);
  return { ...spec, task: { ...(task as Record<string, unknown>), dataset } };
}

function progressBar(epoch: number, max: number, value: number, active: number, total: number): string {
  const width = 30;
  const filled = Math.round((width * epoch) / max);
  return `\r[${"#".repeat(filled)}${".".repeat(width - filled)}] epoch ${epoch}/${max}  val chi2 ${value.toFixed(4)}  active ${active}/${total} `;
}

export function formatResult(spec: TrialSpec, r: TrialResult): string {
  const lines = [
    `backend ${r.backend}, ${r.epochs} epochs, ${r.durationSeconds.toFixed(1)} s, ${spec.replicas} replicas x ${spec.folds} folds`,
    "",
    "fold  <chi2>_rep  chi2[<T>]     phi2",
    ...r.foldChi2.map(
      (c, k) =>
        `${String(k).padStart(4)}  ${c.toFixed(4).padStart(10)}  ${r.foldCentralChi2[k]!.toFixed(4).padStart(9)}  ${r.foldPhi2[k]!.toFixed(4).padStart(7)}`,
    ),
    "",
    `L1 = ${r.L1.toFixed(4)}   L2 = ${r.L2.toFixed(4)}   L3 = ${r.L3.toFixed(4)}   phi2 = ${r.phi2.toFixed(4)}`,
  ];
  const fs = r.foldStats;
  if (fs)
    lines.push(
      `fold statistics: <chi2> average ${fs.chi2.average.toFixed(4)}, best_worst ${fs.chi2.best_worst.toFixed(4)}, std ${fs.chi2.std.toFixed(4)}; phi2 std ${fs.phi2.std.toFixed(4)}`,
    );
  if (r.closure)
    lines.push(
      `closure: bias ${r.closure.bias.toFixed(4)}  variance ${r.closure.variance.toFixed(4)}  bias/variance ${r.closure.ratio.toFixed(3)}`,
    );
  return lines.join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [command, file, ...rest] = argv;
  if (command !== "train" || !file) {
    console.error(usage);
    return 2;
  }
  const text = readFileSync(file, "utf8");
  const raw = (file.endsWith(".json") ? JSON.parse(text) : parseYaml(text)) as Record<string, unknown>;
  let spec: TrialSpec;
  try {
    spec = parseTrialSpec(resolveDatasetFile(raw, dirname(resolve(file))));
  } catch (e) {
    if (e instanceof TrialSpecError) {
      console.error(e.issues.map((i) => `${file}: ${i.path}: ${i.message}`).join("\n"));
      return 1;
    }
    throw e;
  }
  const engineIdx = rest.indexOf("--engine");
  const engine = engineIdx >= 0 ? rest[engineIdx + 1] : "auto";
  if (!(trainerChoices as readonly string[]).includes(engine ?? "")) {
    console.error(usage);
    return 2;
  }
  let trainer: RunTrialOptions["trainer"];
  try {
    const selected = await selectTrainer(engine as TrainerChoice);
    // TF.js is runTrial's own default: its result names the TF.js backend, as before
    if (selected.kind !== "tfjs") trainer = selected;
  } catch (e) {
    console.error(`--engine ${engine}: ${(e as Error).message}`);
    return 1;
  }
  const ac = new AbortController();
  process.once("SIGINT", () => ac.abort());
  const total = spec.replicas * spec.folds;
  const result = await runTrial(spec, {
    ...(trainer ? { trainer } : {}),
    signal: ac.signal,
    onReport: (r) => {
      if (process.stderr.isTTY)
        process.stderr.write(progressBar(r.epoch, spec.maxEpochs, r.value, r.activeReplicas, total));
      else
        process.stderr.write(
          `epoch ${r.epoch}: val chi2 ${r.value.toFixed(4)}, active ${r.activeReplicas}/${total}\n`,
        );
    },
  });
  if (process.stderr.isTTY) process.stderr.write("\n");
  const outIdx = rest.indexOf("--out");
  if (outIdx >= 0 && rest[outIdx + 1]) writeFileSync(rest[outIdx + 1]!, JSON.stringify(result, null, 2));
  console.log(rest.includes("--json") ? JSON.stringify(result) : formatResult(spec, result));
  return 0;
}
