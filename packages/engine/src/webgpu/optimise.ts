/**
 * WGSL of the fused optimiser kernel: one workgroup per replica sums the C partial gradients, applies
 * per-replica clipnorm, advances the replica's step counter and bias corrections (β^t by recurrence,
 * on the GPU) and applies Adam / Nadam / Amsgrad / RMSprop / SGD(momentum) / Adadelta with the
 * formulas of train/optimisers.ts (Keras conventions, ε = 1e-7); with `stopping`, also the early
 * stopping of the chi2 engine.
 */

import { bind, type KernelProgram } from "./program.ts";
import { type KernelLayout, META, UNIFORM_STRUCT } from "./wgsl.ts";

function f(x: number): string {
  const s = String(x);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

/**
 * `partLayout`: "rcp" — part[r][c][p] (fused GPU kernel: a workgroup writes a contiguous row);
 * "rpc" — part[r][p][c] (CPU kernel: neighbouring SIMD lanes are neighbouring blocks c).
 *
 * `stopping` (the chi2 engine, chi2.ts): the losses are read, already normalised, from the loss
 * kernel's report rows (`report`, [R][reportStride], training chi2 then validation chi2); the
 * gradient of the trailing parameters P…PS−1 from `xgrad` ([R][PS−P]); and the kernel keeps the
 * early-stopping bookkeeping of kernel/kernel.ts per replica: on a validation improvement (or at every
 * step without validation points) the parameters before the update are copied to `Best`, and
 * a replica whose best is its patience (Meta) steps old stops (its parameters freeze). Learning rate,
 * clipnorm and momentum then come per replica from Meta too (packed trials differ in them).
 */
export function optimiseShader(
  k: KernelLayout,
  partLayout: "rcp" | "rpc" = "rcp",
  stopping?: { reportStride: number },
): KernelProgram {
  const { P, PS, WG2 } = k;
  const partIndex = partLayout === "rcp" ? "(r * C + c) * P + p" : "(r * P + p) * C + c";
  const PPT = Math.ceil(PS / WG2);
  const XS = PS - P;
  const M = META;
  const stop = stopping !== undefined;
  const RS = stopping?.reportStride ?? 0;
  const gradient = `if (p < P) {
      for (var c = 0u; c < C; c++) { s += part[${partIndex}]; }
    }${XS > 0 ? ` else if (p < PS) { s = xgrad[r * ${XS}u + p - P]; }` : ""}`;
  const losses = stop
    ? `  let lt = report[r * ${RS}u];
  let lv = report[r * ${RS}u + 1u];
  let hasVal = Meta[m0 + ${M.hasValidation}u] > 0.0;
  let cur = select(0.0, lv, hasVal);
  let improved = isActive > 0.0 && (!hasVal || cur < Meta[m0 + ${M.bestValidation}u]);`
    : "";
  const finish = stop
    ? `    var bestStep = Meta[m0 + ${M.bestStep}u];
    if (improved) {
      Meta[m0 + ${M.bestValidation}u] = cur;
      bestStep = t;
      Meta[m0 + ${M.bestStep}u] = t;
    }
    if (isActive > 0.0 && hasVal && t - bestStep >= Meta[m0 + ${M.patience}u]) {
      Meta[m0 + ${M.active}u] = 0.0;
      Meta[m0 + ${M.stopStep}u] = t;
    }
    Meta[m0 + ${M.lossTrain}u] = lt;
    Meta[m0 + ${M.lossValidation}u] = lv;`
    : `    var lt = 0.0;
    var lv = 0.0;
    for (var c = 0u; c < C; c++) { lt += lpart[(r * C + c) * 2u]; lv += lpart[(r * C + c) * 2u + 1u]; }
    Meta[m0 + ${M.lossTrain}u] = lt * invT;
    Meta[m0 + ${M.lossValidation}u] = lv * invV;`;
  const bindings = [
    ...bind("u", "uniform"),
    ...bind("part", "read", `[R][C][${P}]`),
    ...bind("report", "read", `[R][${RS}] chi2 train, validation, …`, stop),
    ...bind("lpart", "read", "[R][C][2]", !stop),
    ...bind("W", "read_write", `[R][${PS}]`),
    ...bind("S0", "read_write", `optimiser slots [R][${PS}]`),
    ...bind("S1", "read_write"),
    ...bind("S2", "read_write"),
    ...bind("Meta", "read_write", `[R][${M.stride}]`),
    ...bind("xgrad", "read", `[R][${XS}] gradient of the trailing parameters`, stop && XS > 0),
    ...bind("Best", "read_write", `[R][${PS}] best parameters`, stop),
  ];
  const body = `const WG = ${WG2}u;
const P = ${P}u;
const PS = ${PS}u;
const PPT = ${PPT}u;
const B1 = ${f(0.9)};
const B2 = ${f(0.999)};
const EPS = ${f(1e-7)};
const RHO_RMS = ${f(0.9)};
const RHO_ADADELTA = ${f(0.95)};
var<workgroup> sR: array<f32, ${WG2}>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wid.x;
  let C = u.C;
  var g: array<f32, PPT>;
  var ss = 0.0;
  for (var q = 0u; q < PPT; q++) {
    let p = lid + q * WG;
    var s = 0.0;
    ${gradient}
    g[q] = s;
    ss += s * s;
  }
  sR[lid] = ss;
  let m0 = r * ${M.stride}u;
  let t = Meta[m0 + ${M.step}u] + 1.0;
  let b1t = Meta[m0 + ${M.beta1Pow}u] * B1;
  let b2t = Meta[m0 + ${M.beta2Pow}u] * B2;
  let isActive = Meta[m0 + ${M.active}u];
  let invT = Meta[m0 + ${M.invTrain}u];
  let invV = Meta[m0 + ${M.invValidation}u];
${losses}
  workgroupBarrier();
  for (var h = WG / 2u; h > 0u; h = h / 2u) {
    if (lid < h) { sR[lid] += sR[lid + h]; }
    workgroupBarrier();
  }
  var scale = 1.0;
  let clip = ${stop ? `Meta[m0 + ${M.clipnorm}u]` : "u.clip"};
  if (clip > 0.0) { scale = min(1.0, clip / max(sqrt(sR[0]), 1e-30)); }
  let lr = ${stop ? `Meta[m0 + ${M.learningRate}u]` : "u.lr"};
  let mu = ${stop ? `Meta[m0 + ${M.momentum}u]` : "u.mom"};
  for (var q = 0u; q < PPT; q++) {
    let p = lid + q * WG;
    if (p < PS) {
      let i = r * PS + p;
      let gi = g[q] * scale;
      var upd = 0.0;
      switch u.opt {
        case 0u, 1u, 2u: {
          let m = B1 * S0[i] + (1.0 - B1) * gi;
          let v = B2 * S1[i] + (1.0 - B2) * gi * gi;
          S0[i] = m;
          S1[i] = v;
          var vu = v;
          if (u.opt == 2u) { vu = max(S2[i], v); S2[i] = vu; }
          let vh = vu / (1.0 - b2t);
          var mh = m / (1.0 - b1t);
          if (u.opt == 1u) { mh = m * (B1 / (1.0 - b1t * B1)) + gi * ((1.0 - B1) / (1.0 - b1t)); }
          upd = lr * mh / (sqrt(vh) + EPS);
        }
        case 3u: {
          let v = RHO_RMS * S0[i] + (1.0 - RHO_RMS) * gi * gi;
          S0[i] = v;
          let st = lr * gi / (sqrt(v) + EPS);
          if (mu > 0.0) { let vel = mu * S1[i] + st; S1[i] = vel; upd = vel; } else { upd = st; }
        }
        case 4u: {
          if (mu > 0.0) { let vel = mu * S0[i] - lr * gi; S0[i] = vel; upd = -vel; } else { upd = lr * gi; }
        }
        default: {
          let eg = RHO_ADADELTA * S0[i] + (1.0 - RHO_ADADELTA) * gi * gi;
          S0[i] = eg;
          let dl = sqrt(S1[i] + EPS) / sqrt(eg + EPS) * gi;
          S1[i] = RHO_ADADELTA * S1[i] + (1.0 - RHO_ADADELTA) * dl * dl;
          upd = lr * dl;
        }
      }
${stop ? "      if (improved) { Best[i] = W[i]; }\n" : ""}      W[i] = W[i] - upd * isActive;
    }
  }
  storageBarrier();
  if (lid == 0u) {
    Meta[m0 + ${M.step}u] = t;
    Meta[m0 + ${M.beta1Pow}u] = b1t;
    Meta[m0 + ${M.beta2Pow}u] = b2t;
${finish}
  }
}
`;
  return {
    label: `hyperensemble-optimise${stop ? "-stopping" : ""}-${partLayout}`,
    bindings,
    workgroupSize: WG2,
    uniformStruct: UNIFORM_STRUCT,
    body,
  };
}
