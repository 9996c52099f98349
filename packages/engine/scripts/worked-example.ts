/**
 * Prints the worked example of docs/method.md from the engine's own estimators:
 * npx tsx packages/engine/scripts/worked-example.ts
 */

import { BlockMatrix, PointSet } from "../src/data/covariance.ts";
import {
  foldEstimators,
  phi2Spread,
  selectConfiguration,
  trialLosses,
} from "../src/estimators/estimators.ts";

const f = (v: number) => v.toFixed(4);
// Four points, two sub-datasets of two; a 10% normalisation correlates each pair.
const D = [1.0, 1.2, 0.8, 0.5];
const sigma = [0.1, 0.1, 0.08, 0.05];
const n = 4;
const cov = new Float64Array(n * n);
for (let i = 0; i < n; i++) {
  cov[i * n + i] = sigma[i]! ** 2;
  for (let j = 0; j < n; j++)
    if (Math.floor(i / 2) === Math.floor(j / 2)) cov[i * n + j]! += 0.01 * D[i]! * D[j]!;
}
const folds = [
  { name: "fold 0 (points 0, 1)", set: new PointSet([0, 1], BlockMatrix.fromSquare({ n, data: cov })) },
  { name: "fold 1 (points 2, 3)", set: new PointSet([2, 3], BlockMatrix.fromSquare({ n, data: cov })) },
];
// Three replicas' predictions on all points (each from the fit that held the fold out).
const T = [
  [1.05, 1.1, 0.85, 0.52],
  [0.92, 1.25, 0.75, 0.47],
  [1.1, 1.3, 0.9, 0.55],
];
console.log(
  "| fold | chi2_k(T_1,D) | chi2_k(T_2,D) | chi2_k(T_3,D) | <chi2_k>_rep | chi2_k[<T>] | phi2_k | spread |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
const est = folds.map(({ name, set }) => {
  const e = foldEstimators(set, T, D);
  console.log(
    `| ${name} | ${e.replicaChi2.map(f).join(" | ")} | ${f(e.meanChi2)} | ${f(e.centralChi2)} | ${f(e.phi2)} | ${f(phi2Spread(set, T))} |`,
  );
  return e;
});
const l = trialLosses(est);
console.log(`\nL1 = ${f(l.L1)}, L2 = ${f(l.L2)}, phi2 = ${f(l.phi2)}, L3 = 1/phi2 = ${f(l.L3)}`);
const trials = [
  { id: "A", L1: 1.02, phi2: 0.11 },
  { id: "B", L1: 1.05, phi2: 0.19 },
  { id: "C", L1: 1.4, phi2: 0.35 },
  { id: "D", L1: 1.1, phi2: 0.15 },
];
const sel = selectConfiguration(trials);
console.log(`\nselection over ${JSON.stringify(trials)}:`);
console.log(
  `argmin = ${sel.argmin}, window = [${f(sel.window[0])}, ${f(sel.window[1])}], selected = ${sel.selected}, top10 = ${sel.top10.join(", ")}`,
);
