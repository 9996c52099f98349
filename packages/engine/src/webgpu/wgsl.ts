/**
 * WGSL for one training step of a stacked-replica MLP (sizes d → h1 → … → F, one activation on the
 * hidden layers, linear output), generated per architecture so every loop bound is a constant. R, N,
 * the chunking C and the optimiser settings are uniforms: one pair of pipelines serves every ensemble
 * size and optimiser of an architecture.
 *
 * Kernel `train` — one workgroup per (point block c, replica r); thread = point. The replica's
 * parameters are staged in workgroup memory; each thread runs forward and backward for its point with
 * the layer inputs and output deltas in workgroup memory ([unit][thread], conflict-free), then the
 * workgroup forms the gradient outer products Σ_points a_i·δ_j, each thread owning P/WG parameters in
 * registers. A workgroup walks point tiles c, c+C, c+2C… and writes one partial gradient row
 * part[r][c][:] and two partial loss sums (training, validation): deterministic, no atomics, no
 * zeroing pass, no activations in global memory.
 *
 * Kernel `optimise` — one workgroup per replica: sums the C partial gradients, the per-replica
 * gradient norm (clipnorm), the losses, advances the replica's step counter and bias corrections
 * (β^t by recurrence, on the GPU) and applies Adam / Nadam / Amsgrad / RMSprop / SGD(momentum) /
 * Adadelta with the same formulas as train/optimisers.ts (Keras conventions, ε = 1e-7).
 */

import type { Activation } from "../model/mlp.ts";

export interface MlpShape {
  sizes: number[];
  activation: Activation;
}

export interface KernelLayout {
  sizes: number[];
  layers: { kernel: number; bias: number; fanIn: number; fanOut: number }[];
  /** Parameters per replica (same flat order as model/mlp.ts parameterLayout, no preprocessing). */
  P: number;
  /** Points per workgroup in `train`. */
  WG: number;
  /** Threads per workgroup in `optimise`. */
  WG2: number;
  /** Bytes of workgroup memory `train` uses. */
  sharedBytes: number;
}

/** Optimiser codes passed in the uniform block. */
export const OPT_CODE = { adam: 0, nadam: 1, amsgrad: 2, rmsprop: 3, sgd: 4, adadelta: 5 } as const;

/** Per-replica metadata row in `meta` ([R][8] f32). */
export const META = {
  stride: 8,
  step: 0,
  beta1Pow: 1,
  beta2Pow: 2,
  active: 3,
  invTrain: 4,
  invValidation: 5,
  lossTrain: 6,
  lossValidation: 7,
} as const;

/** Uniform block: u32 R, N, C, opt; f32 lr, clipnorm, momentum; u32 zero (always 0, see trainShaderCpu). */
export const UNIFORM_BYTES = 32;

export function kernelLayout(shape: MlpShape, maxSharedBytes: number, maxInvocations = 256): KernelLayout {
  const sizes = shape.sizes;
  if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1))
    throw new Error(`invalid MLP sizes ${JSON.stringify(sizes)}`);
  let off = 0;
  const layers = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const fanIn = sizes[i]!;
    const fanOut = sizes[i + 1]!;
    layers.push({ kernel: off, bias: off + fanIn * fanOut, fanIn, fanOut });
    off += fanIn * fanOut + fanOut;
  }
  const P = off;
  const aIn = sizes.slice(0, -1).reduce((a, b) => a + b, 0);
  const dTot = sizes.slice(1).reduce((a, b) => a + b, 0);
  let WG = Math.min(64, maxInvocations);
  const bytes = (wg: number) => 4 * (wg * (aIn + dTot) + P + wg);
  while (WG > 4 && bytes(WG) > maxSharedBytes) WG /= 2;
  if (bytes(WG) > maxSharedBytes)
    throw new Error(
      `MLP ${sizes.join("→")} needs ${bytes(WG)} B of workgroup memory (limit ${maxSharedBytes})`,
    );
  return { sizes, layers, P, WG, WG2: Math.min(64, maxInvocations), sharedBytes: bytes(WG) };
}

function f(x: number): string {
  const s = String(x);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

function activationCode(act: Activation): { fwd: string; deriv: string } {
  switch (act) {
    case "tanh":
      // Clamped: some backends lower tanh through exp and overflow for large |z|.
      return { fwd: "tanh(clamp(z, -15.0, 15.0))", deriv: "(1.0 - a * a)" };
    case "sigmoid":
      return { fwd: "1.0 / (1.0 + exp(-clamp(z, -80.0, 80.0)))", deriv: "(a * (1.0 - a))" };
    case "relu":
      return { fwd: "max(z, 0.0)", deriv: "select(0.0, 1.0, a > 0.0)" };
    case "linear":
      return { fwd: "z", deriv: "1.0" };
  }
}

const UNIFORMS = `
struct U { R: u32, N: u32, C: u32, opt: u32, lr: f32, clip: f32, mom: f32, zero: u32 };
@group(0) @binding(0) var<uniform> u: U;
`;

export function trainShader(shape: MlpShape, k: KernelLayout): string {
  const { sizes, layers, P, WG } = k;
  const L = layers.length;
  const D = sizes[0]!;
  const F = sizes[L]!;
  const aOff: number[] = [];
  const dOff: number[] = [];
  let a = 0;
  let d = 0;
  for (let l = 0; l < L; l++) {
    aOff.push(a);
    a += sizes[l]!;
    dOff.push(d);
    d += sizes[l + 1]!;
  }
  const act = activationCode(shape.activation);
  const PPT = Math.ceil(P / WG);

  let fwd = "";
  for (let l = 0; l < L; l++) {
    const { kernel, bias, fanIn, fanOut } = layers[l]!;
    const last = l === L - 1;
    fwd += `
    // layer ${l}: ${fanIn} → ${fanOut}
    for (var j = 0u; j < ${fanOut}u; j++) {
      var z = sP[${bias}u + j];
      for (var i = 0u; i < ${fanIn}u; i++) {
        z += sA[(${aOff[l]}u + i) * WG + lid] * sP[${kernel}u + i * ${fanOut}u + j];
      }
${
  last
    ? `      let e = select(0.0, z - Y[yBase + j], valid);
      lTrain += w * e * e;
      lVal += (1.0 - w) * e * e;
      sD[(${dOff[l]}u + j) * WG + lid] = gScale * w * e;`
    : `      sA[(${aOff[l + 1]}u + j) * WG + lid] = ${act.fwd};`
}
    }`;
  }
  let bwd = "";
  for (let l = L - 1; l >= 1; l--) {
    const { kernel, fanIn, fanOut } = layers[l]!;
    bwd += `
    // back through layer ${l}: δ of layer ${l - 1}'s ${fanIn} outputs
    for (var i = 0u; i < ${fanIn}u; i++) {
      var s = 0.0;
      for (var j = 0u; j < ${fanOut}u; j++) {
        s += sP[${kernel}u + i * ${fanOut}u + j] * sD[(${dOff[l]}u + j) * WG + lid];
      }
      let a = sA[(${aOff[l]}u + i) * WG + lid];
      sD[(${dOff[l - 1]}u + i) * WG + lid] = s * ${act.deriv};
    }`;
  }
  let grad = "";
  layers.forEach((ly, l) => {
    const { kernel, bias, fanOut } = ly;
    const end = bias + fanOut;
    grad += `${l === 0 ? "" : " else "}if (p < ${bias}u) {
          let i = (p - ${kernel}u) / ${fanOut}u;
          let j = (p - ${kernel}u) % ${fanOut}u;
          let ab = (${aOff[l]}u + i) * WG;
          let db = (${dOff[l]}u + j) * WG;
          for (var t = 0u; t < WG; t++) { s += sA[ab + t] * sD[db + t]; }
        } else if (p < ${end}u) {
          let db = (${dOff[l]}u + p - ${bias}u) * WG;
          for (var t = 0u; t < WG; t++) { s += sD[db + t]; }
        }`;
  });

  return `${UNIFORMS}
@group(0) @binding(1) var<storage, read> X: array<f32>;        // [N][${D}]
@group(0) @binding(2) var<storage, read> Y: array<f32>;        // [R][N][${F}]
@group(0) @binding(3) var<storage, read> M: array<f32>;        // [R][N] training weight (1 train, 0 validation)
@group(0) @binding(4) var<storage, read> W: array<f32>;        // [R][${P}] parameters
@group(0) @binding(5) var<storage, read> Meta: array<f32>;     // [R][8]
@group(0) @binding(6) var<storage, read_write> part: array<f32>;  // [R][C][${P}]
@group(0) @binding(7) var<storage, read_write> lpart: array<f32>; // [R][C][2]

const WG = ${WG}u;
const P = ${P}u;
const PPT = ${PPT}u;
var<workgroup> sA: array<f32, ${WG * a}>;
var<workgroup> sD: array<f32, ${WG * d}>;
var<workgroup> sP: array<f32, ${P}>;
var<workgroup> sL: array<f32, ${2 * WG}>;

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let c = wid.x;
  let r = wid.y;
  let N = u.N;
  for (var p = lid; p < P; p += WG) { sP[p] = W[r * P + p]; }
  let gScale = 2.0 * Meta[r * 8u + 4u];
  var acc: array<f32, PPT>;
  for (var q = 0u; q < PPT; q++) { acc[q] = 0.0; }
  var lTrain = 0.0;
  var lVal = 0.0;
  workgroupBarrier();
  for (var tile = c; tile * WG < N; tile += u.C) {
    let n = tile * WG + lid;
    let valid = n < N;
    let nn = select(0u, n, valid);
    let w = select(0.0, M[r * N + nn], valid);
    let yBase = (r * N + nn) * ${F}u;
    for (var i = 0u; i < ${D}u; i++) { sA[i * WG + lid] = select(0.0, X[nn * ${D}u + i], valid); }
${fwd}
${bwd}
    workgroupBarrier();
    for (var q = 0u; q < PPT; q++) {
      let p = lid + q * WG;
      if (p < P) {
        var s = 0.0;
        ${grad}
        acc[q] += s;
      }
    }
    workgroupBarrier();
  }
  let base = (r * u.C + c) * P;
  for (var q = 0u; q < PPT; q++) {
    let p = lid + q * WG;
    if (p < P) { part[base + p] = acc[q]; }
  }
  sL[lid] = lTrain;
  sL[WG + lid] = lVal;
  workgroupBarrier();
  if (lid == 0u) {
    var st = 0.0;
    var sv = 0.0;
    for (var t = 0u; t < WG; t++) { st += sL[t]; sv += sL[WG + t]; }
    lpart[(r * u.C + c) * 2u] = st;
    lpart[(r * u.C + c) * 2u + 1u] = sv;
  }
}
`;
}

/**
 * `partLayout`: "rcp" — part[r][c][p] (fused GPU kernel: a workgroup writes a contiguous row);
 * "rpc" — part[r][p][c] (CPU kernel: neighbouring SIMD lanes are neighbouring blocks c).
 */
export function optimiseShader(k: KernelLayout, partLayout: "rcp" | "rpc" = "rcp"): string {
  const { P, WG2 } = k;
  const partIndex = partLayout === "rcp" ? "(r * C + c) * P + p" : "(r * P + p) * C + c";
  const PPT = Math.ceil(P / WG2);
  return `${UNIFORMS}
@group(0) @binding(1) var<storage, read> part: array<f32>;        // [R][C][${P}]
@group(0) @binding(2) var<storage, read> lpart: array<f32>;       // [R][C][2]
@group(0) @binding(3) var<storage, read_write> W: array<f32>;     // [R][${P}]
@group(0) @binding(4) var<storage, read_write> S0: array<f32>;    // optimiser slots [R][${P}]
@group(0) @binding(5) var<storage, read_write> S1: array<f32>;
@group(0) @binding(6) var<storage, read_write> S2: array<f32>;
@group(0) @binding(7) var<storage, read_write> Meta: array<f32>;  // [R][8]

const WG = ${WG2}u;
const P = ${P}u;
const PPT = ${PPT}u;
const B1 = ${f(0.9)};
const B2 = ${f(0.999)};
const EPS = ${f(1e-7)};
const RHO_RMS = ${f(0.9)};
const RHO_ADADELTA = ${f(0.95)};
var<workgroup> sR: array<f32, ${WG2}>;

@compute @workgroup_size(${WG2})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wid.x;
  let C = u.C;
  var g: array<f32, PPT>;
  var ss = 0.0;
  for (var q = 0u; q < PPT; q++) {
    let p = lid + q * WG;
    var s = 0.0;
    if (p < P) {
      for (var c = 0u; c < C; c++) { s += part[${partIndex}]; }
    }
    g[q] = s;
    ss += s * s;
  }
  sR[lid] = ss;
  let m0 = r * 8u;
  let t = Meta[m0] + 1.0;
  let b1t = Meta[m0 + 1u] * B1;
  let b2t = Meta[m0 + 2u] * B2;
  let isActive = Meta[m0 + 3u];
  let invT = Meta[m0 + 4u];
  let invV = Meta[m0 + 5u];
  workgroupBarrier();
  for (var h = WG / 2u; h > 0u; h = h / 2u) {
    if (lid < h) { sR[lid] += sR[lid + h]; }
    workgroupBarrier();
  }
  var scale = 1.0;
  if (u.clip > 0.0) { scale = min(1.0, u.clip / max(sqrt(sR[0]), 1e-30)); }
  let lr = u.lr;
  let mu = u.mom;
  for (var q = 0u; q < PPT; q++) {
    let p = lid + q * WG;
    if (p < P) {
      let i = r * P + p;
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
      W[i] = W[i] - upd * isActive;
    }
  }
  storageBarrier();
  if (lid == 0u) {
    var lt = 0.0;
    var lv = 0.0;
    for (var c = 0u; c < C; c++) { lt += lpart[(r * C + c) * 2u]; lv += lpart[(r * C + c) * 2u + 1u]; }
    Meta[m0] = t;
    Meta[m0 + 1u] = b1t;
    Meta[m0 + 2u] = b2t;
    Meta[m0 + 6u] = lt * invT;
    Meta[m0 + 7u] = lv * invV;
  }
}
`;
}

/**
 * `train` for CPU rasterisers (Mesa llvmpipe), where the fused kernel is ~30× slower: no workgroup
 * memory and no barriers (llvmpipe runs barrier shaders as coroutines). One invocation per (point
 * block c, replica r), one workgroup = `lanes` blocks of one replica = one SIMD register on the CPU.
 * Each invocation walks points c, c+C, c+2C…, keeps activations and deltas in private arrays and
 * accumulates its partial gradient in place in part[r][p][c] (lanes contiguous: vector loads/stores).
 * Loop bounds carry `+ u.zero` (0 at run time) so Mesa cannot unroll them fully: fully unrolled, the
 * shader took > 40 s to compile on llvmpipe; as written it takes ~1 s. Same bindings as `train`.
 */
export function trainShaderCpu(shape: MlpShape, k: KernelLayout, lanes = 8): string {
  const { sizes, layers, P } = k;
  const L = layers.length;
  const D = sizes[0]!;
  const F = sizes[L]!;
  const act = activationCode(shape.activation);
  let decl = "";
  for (let l = 0; l <= L; l++) decl += `  var a${l}: array<f32, ${sizes[l]}>;\n`;
  for (let l = 1; l <= L; l++) decl += `  var d${l}: array<f32, ${sizes[l]}>;\n`;
  // Outer loops stay loops (compile time); inner ones are unrolled into sums of fanIn / fanOut terms,
  // so a point costs ~2·Σfo + Σfi loop iterations instead of ~3·P (llvmpipe's loop overhead and
  // budget, see LOOP_ITERATION_BUDGET).
  const sum = (n: number, term: (i: number) => string) =>
    Array.from({ length: n }, (_, i) => term(i)).join(" + ");
  let body = "";
  for (let l = 0; l < L; l++) {
    const { kernel, bias, fanIn, fanOut } = layers[l]!;
    const last = l === L - 1;
    body += `
    for (var j = 0u; j < ${fanOut}u + z0; j++) {
      let wb = pb + ${kernel}u + j;
      let z = W[pb + ${bias}u + j] + ${sum(fanIn, (i) => `a${l}[${i}] * W[wb + ${i * fanOut}u]`)};
${
  last
    ? `      let e = z - Y[yBase + j];
      lTrain += w * e * e;
      lVal += (1.0 - w) * e * e;
      d${l + 1}[j] = gScale * w * e;`
    : `      a${l + 1}[j] = ${act.fwd};`
}
    }`;
  }
  for (let l = L - 1; l >= 0; l--) {
    const { kernel, bias, fanIn, fanOut } = layers[l]!;
    body += `
    for (var j = 0u; j < ${fanOut}u + z0; j++) {
      let dj = d${l + 1}[j];
      let gb = pr + ${kernel}u + j;
      part[(pr + ${bias}u + j) * Cs + c] += dj;
${Array.from({ length: fanIn }, (_, i) => `      part[(gb + ${i * fanOut}u) * Cs + c] += a${l}[${i}] * dj;`).join("\n")}
    }`;
    if (l > 0)
      body += `
    for (var i = 0u; i < ${fanIn}u + z0; i++) {
      let wb = pb + ${kernel}u + i * ${fanOut}u;
      let a = a${l}[i];
      d${l}[i] = (${sum(fanOut, (j) => `W[wb + ${j}u] * d${l + 1}[${j}]`)}) * ${act.deriv};
    }`;
  }
  return `${UNIFORMS}
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Y: array<f32>;
@group(0) @binding(3) var<storage, read> M: array<f32>;
@group(0) @binding(4) var<storage, read> W: array<f32>;
@group(0) @binding(5) var<storage, read> Meta: array<f32>;
@group(0) @binding(6) var<storage, read_write> part: array<f32>;
@group(0) @binding(7) var<storage, read_write> lpart: array<f32>;

const P = ${P}u;

@compute @workgroup_size(${lanes})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let c = gid.x;
  let r = wid.y;
  if (c >= u.C) { return; }
  let N = u.N;
  let z0 = u.zero;
  let pb = r * P;
  let gScale = 2.0 * Meta[r * 8u + 4u];
  let Cs = u.C;
  let pr = r * P;
  for (var p = 0u; p < P + z0; p++) { part[(pr + p) * Cs + c] = 0.0; }
${decl}
  var lTrain = 0.0;
  var lVal = 0.0;
  for (var n = c; n < N; n += u.C) {
    let w = M[r * N + n];
    let yBase = (r * N + n) * ${F}u;
${Array.from({ length: D }, (_, i) => `    a0[${i}] = X[n * ${D}u + ${i}u];`).join("\n")}
${body}
  }
  lpart[(r * u.C + c) * 2u] = lTrain;
  lpart[(r * u.C + c) * 2u + 1u] = lVal;
}
`;
}

/**
 * Mesa llvmpipe (gallivm) silently ends a shader invocation's loops after 65,535 loop iterations in
 * total (LP_MAX_TGSI_LOOP_ITERATIONS): a kernel that walks too many points per invocation returns a
 * truncated sum there, with no error. The ensemble keeps every invocation under this budget by giving
 * each fewer points (a larger C), on every device.
 */
export const LOOP_ITERATION_BUDGET = 60_000;

function mlpLoopIterations(sizes: number[]): {
  forward: number;
  backward: number;
  outer: number;
  backwardOuter: number;
} {
  let forward = 0;
  let backward = 0;
  let outer = 0;
  let backwardOuter = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const fi = sizes[l]!;
    const fo = sizes[l + 1]!;
    forward += fo + fi * fo;
    outer += fo;
    if (l > 0) {
      backward += fi + fi * fo;
      backwardOuter += fi;
    }
  }
  return { forward, backward, outer, backwardOuter };
}

/** Most points one invocation of trainShaderCpu may walk within LOOP_ITERATION_BUDGET. */
export function cpuPointsPerInvocation(k: KernelLayout): number {
  const it = mlpLoopIterations(k.sizes);
  // per point (inner loops unrolled): forward and gradient over outputs, backward over inputs
  const perPoint = 2 * it.outer + it.backwardOuter + 1;
  return Math.max(1, Math.floor((LOOP_ITERATION_BUDGET - k.P - 1) / perPoint));
}

/** Most point tiles one workgroup of trainShader may walk within LOOP_ITERATION_BUDGET. */
export function fusedTilesPerWorkgroup(k: KernelLayout): number {
  const it = mlpLoopIterations(k.sizes);
  const PPT = Math.ceil(k.P / k.WG);
  const perTile = k.sizes[0]! + it.forward + it.backward + PPT * (1 + k.WG) + 1;
  const overhead = Math.ceil(k.P / k.WG) + 3 * PPT + 2 * k.WG + 4;
  return Math.max(1, Math.floor((LOOP_ITERATION_BUDGET - overhead) / perTile));
}
