/**
 * The worked example of docs/method.md ("Worked example: from a theory to an LHAPDF set"), end to
 * end in one process, calling what the platform calls at each step (the browser path is e2e/fit.spec.ts):
 *   1. scripts/theory-example.ts writes the synthetic DIS-like theory (level 2);
 *   2. "upload": the file is checked as the API checks it (engine checkTheory) and stored as theoryJson;
 *   3. a study: a small grid of configurations, each a trial of K folds × R replicas (engine runTrial,
 *      what a runner runs), scored L1 / φ²;
 *   4. the selected configuration (engine selectConfiguration, as fit.create picks it);
 *   5. a final fit of it with 100 replicas and NNPDF's post-fit rule (platform trainFit, as runFit);
 *   6. the LHAPDF6 set (platform lhapdfSet, as fit.export) written out and read back.
 * Usage: npx tsx scripts/fit-worked-example.ts [--replicas 100] [--epochs 1000] [--out DIR]
 * Writes the figures to bench/results/fit-worked-example.json.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { checkTheory, runTrial, selectBackend, theoryJson } from "@hyperensemble/engine";
import { selectConfiguration } from "@hyperensemble/engine/estimators";
import { fitBands } from "../packages/platform/src/fitBands.ts";
import { lhapdfSet } from "../packages/platform/src/fitLhapdf.ts";
import { trainFit } from "../packages/platform/src/fitTrain.ts";

const { values } = parseArgs({
  options: {
    replicas: { type: "string", default: "100" },
    epochs: { type: "string", default: "1000" },
    out: { type: "string" },
  },
});
const replicas = Number(values.replicas);
const maxEpochs = Number(values.epochs);
const root = path.resolve(import.meta.dirname, "..");
const out = values.out ?? mkdtempSync(path.join(tmpdir(), "hens-worked-"));
const seconds = (t0: number) => Number(((performance.now() - t0) / 1000).toFixed(1));
const round = (v: number, d = 4) => (Number.isFinite(v) ? Number(v.toFixed(d)) : null);
await selectBackend("wasm");

// 1. the generator script, as a user runs it
const t0 = performance.now();
execFileSync("npx", ["tsx", path.join(root, "scripts/theory-example.ts"), "--out", out, "--level", "2"], {
  stdio: "inherit",
});

// 2. upload: the API's check, then what is stored
const stored = theoryJson(checkTheory(JSON.parse(readFileSync(path.join(out, "theory.json"), "utf8"))));
const task = { kind: "theory" as const, dataset: stored };
const nPoints = stored.subsets.reduce((n, s) => n + s.values.length, 0);

// 3. the study: 3 folds × 8 replicas per trial, a 2 × 3 grid of width and learning rate
const study = { folds: 3, replicas: 8, maxEpochs, seed: 11 };
const grid = [10, 25].flatMap((units) =>
  [0.003, 0.01, 0.03].map((lr) => ({
    n_layers: 2,
    units_1: units,
    units_2: 20,
    learning_rate: lr,
    stopping_patience: 0.2,
  })),
);
const trials = [];
const tStudy = performance.now();
for (const [number, params] of grid.entries()) {
  const r = await runTrial({
    task,
    replicas: study.replicas,
    folds: study.folds,
    seed: study.seed * 1000 + number,
    maxEpochs,
    reportEvery: 100,
    params,
    backend: "wasm",
  });
  trials.push({ number, params, L1: r.L1, phi2: r.phi2, epochs: r.epochs, seconds: r.durationSeconds });
  console.log(
    `trial ${number}: L1 ${r.L1.toFixed(3)} φ² ${r.phi2.toFixed(3)} (${r.durationSeconds.toFixed(1)} s)`,
  );
}
const studySeconds = seconds(tStudy);

// 4. the selected configuration
const sel = selectConfiguration(trials.map((t) => ({ id: String(t.number), L1: t.L1, phi2: t.phi2 })));
const chosen = trials[Number(sel.selected)]!;

// 5. the final fit
const tFit = performance.now();
const fit = await trainFit({
  task,
  replicas,
  folds: 1,
  seed: study.seed * 1000 + chosen.number,
  maxEpochs,
  reportEvery: 100,
  params: chosen.params,
  backend: "wasm",
});
const fitSeconds = seconds(tFit);

// 6. the LHAPDF set, written and read back (member 0 is the mean of the kept replicas' x·f)
const keptRows = fit.selection.kept.map((r) => fit.replicas.findIndex((s) => s.replica === r));
const name = "hens_worked_example";
const files = lhapdfSet({
  name,
  description: "HyperEnsemble worked example (docs/method.md)",
  x: fit.x,
  replicas: keptRows.map((s) => fit.outputs[s]!),
  nOutputs: fit.outputNames.length,
});
const setDir = path.join(out, name);
mkdirSync(setDir, { recursive: true });
for (const [file, text] of Object.entries(files)) writeFileSync(path.join(setDir, file), text);
const member0 = files[`${name}_0000.dat`]!.split(/^---$/m)[1]!.trim().split("\n");
const bands = fitBands(JSON.parse(JSON.stringify(fit)));
// how far the truth is from the central value, in units of the 1σ band, over the grid and outputs
const pulls = bands.outputs.flatMap((o) => o.mean.map((m, i) => Math.abs(m - o.truth![i]!) / o.sd[i]!));
const within1 = pulls.filter((p) => p <= 1).length / pulls.length;

const figures = {
  date: new Date().toISOString(),
  theory: {
    name: stored.name,
    points: nPoints,
    subsets: stored.subsets.length,
    grid: stored.grid.length,
    outputs: stored.nOutputs,
  },
  study: {
    ...study,
    trials: trials.map((t) => ({ ...t, L1: round(t.L1), phi2: round(t.phi2), seconds: round(t.seconds, 1) })),
    seconds: studySeconds,
    selected: chosen.number,
    argmin: Number(sel.argmin),
    window: sel.window.map((v) => round(v)),
  },
  fit: {
    replicas,
    maxEpochs,
    epochs: fit.epochs,
    seconds: fitSeconds,
    rule: fit.selection.rule,
    chi2Threshold: round(fit.selection.chi2Threshold),
    kept: fit.selection.kept.length,
    discarded: Object.fromEntries(Object.entries(fit.selection.discarded).map(([k, v]) => [k, v.length])),
    // PointSet.chi2 is already per point (χ²/N)
    chi2PerPoint: round(fit.centralChi2),
    phi2: round(fit.phi2),
    datasets: fit.datasets.map((d) => ({
      name: d.name,
      nPoints: d.nPoints,
      chi2PerPoint: round(d.chi2),
    })),
    replicaChi2PerPoint: {
      mean: round(fit.replicas.reduce((s, r) => s + r.chi2, 0) / fit.replicas.length),
      min: round(Math.min(...fit.replicas.map((r) => r.chi2))),
      max: round(Math.max(...fit.replicas.map((r) => r.chi2))),
    },
    trainingEpochs: {
      mean: round(fit.replicas.reduce((s, r) => s + r.trainingEpochs, 0) / fit.replicas.length, 1),
      min: Math.min(...fit.replicas.map((r) => r.trainingEpochs)),
      max: Math.max(...fit.replicas.map((r) => r.trainingEpochs)),
    },
    truthWithin1Sigma: round(within1, 3),
  },
  lhapdf: {
    files: Object.keys(files).length,
    members: keptRows.length + 1,
    bytes: Object.values(files).reduce((n, t) => n + Buffer.byteLength(t), 0),
    member0Rows: member0.length - 3,
  },
  totalSeconds: seconds(t0),
};
const target = path.join(root, "bench/results/fit-worked-example.json");
writeFileSync(target, `${JSON.stringify(figures, null, 2)}\n`);
console.log(JSON.stringify(figures, null, 2));
console.log(`LHAPDF set in ${setDir}; figures in ${target}`);
