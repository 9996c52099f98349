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
 * Kernel `optimise` (optimise.ts) — one workgroup per replica: sums the C partial gradients, the
 * per-replica gradient norm (clipnorm), the losses, advances the replica's step counter and bias
 * corrections and applies the optimiser.
 */

import { type NetworkLayout, networkLayout } from "../model/layout.ts";
import type { Activation } from "../model/mlp.ts";
import { bind, type KernelProgram } from "./program.ts";

export interface MlpShape {
  sizes: number[];
  activation: Activation;
}

export interface KernelLayout {
  sizes: number[];
  /** The layers of model/layout.ts networkLayout (the engine's one parameter layout). */
  layers: NetworkLayout["layers"];
  /** Network parameters per replica (networkLayout's size). */
  P: number;
  /**
   * Parameter row stride: P plus trailing parameters the network kernels do not touch (the
   * preprocessing exponents α, β of model/mlp.ts, whose gradient the chi2 loss kernel forms).
   */
  PS: number;
  /** Points per workgroup in `train`. */
  WG: number;
  /** Threads per workgroup in `optimise`. */
  WG2: number;
  /** Bytes of workgroup memory `train` uses. */
  sharedBytes: number;
}

/** Optimiser codes passed in the uniform block. */
export const OPT_CODE = { adam: 0, nadam: 1, amsgrad: 2, rmsprop: 3, sgd: 4, adadelta: 5 } as const;

/**
 * Per-replica metadata row in `meta` ([R][16] f32). Fields 8–11 are the early-stopping bookkeeping
 * of the chi2 engine (chi2.ts): best validation chi2 so far, the step it was reached, the step the
 * replica stopped at (0 while active), and 1 when the replica has validation points; fields 12–15 its
 * own optimiser settings and patience (the members of packed trials differ in them; clipnorm 0: none).
 */
export const META = {
  stride: 16,
  step: 0,
  beta1Pow: 1,
  beta2Pow: 2,
  active: 3,
  invTrain: 4,
  invValidation: 5,
  lossTrain: 6,
  lossValidation: 7,
  bestValidation: 8,
  bestStep: 9,
  stopStep: 10,
  hasValidation: 11,
  learningRate: 12,
  clipnorm: 13,
  momentum: 14,
  patience: 15,
} as const;

/**
 * Uniform block: u32 R, N, C, opt; f32 lr, clipnorm, momentum; u32 zero (always 0, see
 * trainShaderCpu); a pad word; u32 base, maskEpochs (dropout masks, chi2 engine); a pad word. The chi2
 * engine reads learning rate, clipnorm and momentum per replica from `meta` instead.
 */
export const UNIFORM_BYTES = 48;

export function kernelLayout(
  shape: MlpShape,
  maxSharedBytes: number,
  maxInvocations = 256,
  extraParameters = 0,
): KernelLayout {
  const sizes = shape.sizes;
  if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1))
    throw new Error(`invalid MLP sizes ${JSON.stringify(sizes)}`);
  const { layers, size: P } = networkLayout(sizes);
  const aIn = sizes.slice(0, -1).reduce((a, b) => a + b, 0);
  const dTot = sizes.slice(1).reduce((a, b) => a + b, 0);
  let WG = Math.min(64, maxInvocations);
  const bytes = (wg: number) => 4 * (wg * (aIn + dTot) + P + wg);
  while (WG > 4 && bytes(WG) > maxSharedBytes) WG /= 2;
  if (bytes(WG) > maxSharedBytes)
    throw new Error(
      `MLP ${sizes.join("→")} needs ${bytes(WG)} B of workgroup memory (limit ${maxSharedBytes})`,
    );
  return {
    sizes,
    layers,
    P,
    PS: P + extraParameters,
    WG,
    WG2: Math.min(64, maxInvocations),
    sharedBytes: bytes(WG),
  };
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

/**
 * The uniform block's WGSL (see UNIFORM_BYTES). `base` and `maskEpochs`: the dropout masks of the chi2
 * engine hold epochs base+1 … base+maskEpochs (dropoutMaskBase).
 */
export const UNIFORM_STRUCT = `struct U {
  R: u32, N: u32, C: u32, opt: u32, lr: f32, clip: f32, mom: f32, zero: u32,
  pad1: f32, base: u32, maskEpochs: u32, pad2: f32,
};`;

/**
 * Dropout masks of the chi2 engine, [K][R][N][H] f32 per chunk (K epochs, N rows, H = Σ hidden units,
 * hidden layer l's units from offsets[l]), each already scaled by 1/(1 − rate) as model/mlp.ts does.
 */
export interface DropoutLayout {
  H: number;
  offsets: number[];
}

export function dropoutLayout(sizes: number[]): DropoutLayout {
  const offsets: number[] = [];
  let H = 0;
  for (const units of sizes.slice(1, -1)) {
    offsets.push(H);
    H += units;
  }
  return { H, offsets };
}

/** WGSL: `mBase`, the start of member r's mask rows for the step being run (needs Meta and u). */
export function dropoutMaskBase(H: number): string {
  return `  let eMask = min(u32(Meta[r * ${META.stride}u + ${META.step}u]) - u.base, u.maskEpochs - 1u);
  let mBase = (eMask * u.R + r) * u.N * ${H}u;`;
}

/**
 * Where the output layer's delta comes from. "mse": the masked mean-squared error against targets Y
 * (the benchmark workload). "buffer": read from binding Y, dL/d(output) [R][N][F] written by the chi2
 * loss kernel (chi2.ts); M, Meta (unless dropout) and lpart are then absent and no loss is formed here.
 */
export type OutputDelta = "mse" | "buffer";

export function trainShader(
  shape: MlpShape,
  k: KernelLayout,
  delta: OutputDelta = "mse",
  dropout?: DropoutLayout,
): KernelProgram {
  const { sizes, layers, P, PS, WG } = k;
  const mse = delta === "mse";
  if (mse && dropout) throw new Error("dropout masks need OutputDelta 'buffer'");
  const mask = (l: number, unit: string) =>
    dropout ? `Mk[mBase + nn * ${dropout.H}u + ${dropout.offsets[l]}u + ${unit}]` : "";
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
  !last
    ? `      sA[(${aOff[l + 1]}u + j) * WG + lid] = ${act.fwd}${dropout ? ` * ${mask(l, "j")}` : ""};`
    : mse
      ? `      let e = select(0.0, z - Y[yBase + j], valid);
      lTrain += w * e * e;
      lVal += (1.0 - w) * e * e;
      sD[(${dOff[l]}u + j) * WG + lid] = gScale * w * e;`
      : `      sD[(${dOff[l]}u + j) * WG + lid] = select(0.0, Y[yBase + j], valid);`
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
${
  dropout
    ? `      // the stored activation is masked: unmask it for the derivative (a zero mask zeroes δ anyway)
      let mk = ${mask(l - 1, "i")};
      let a = select(0.0, sA[(${aOff[l]}u + i) * WG + lid] / mk, mk != 0.0);
      sD[(${dOff[l - 1]}u + i) * WG + lid] = s * ${act.deriv} * mk;`
    : `      let a = sA[(${aOff[l]}u + i) * WG + lid];
      sD[(${dOff[l - 1]}u + i) * WG + lid] = s * ${act.deriv};`
}
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

  const bindings = [
    ...bind("u", "uniform"),
    ...bind("X", "read", `[N][${D}]`),
    ...bind("Y", "read", `[R][N][${F}] ${mse ? "targets" : "dL/d(output)"}`),
    ...bind("M", "read", "[R][N] training weight (1 train, 0 validation)", mse),
    ...bind("Mk", "read", "[K][R][N][H] dropout masks", dropout !== undefined),
    ...bind("W", "read", `[R][${PS}] parameters`),
    ...bind("Meta", "read", `[R][${META.stride}]`, mse || dropout !== undefined),
    ...bind("part", "read_write", `[R][C][${P}]`),
    ...bind("lpart", "read_write", "[R][C][2]", mse),
  ];
  const body = `const WG = ${WG}u;
const P = ${P}u;
const PS = ${PS}u;
const PPT = ${PPT}u;
var<workgroup> sA: array<f32, ${WG * a}>;
var<workgroup> sD: array<f32, ${WG * d}>;
var<workgroup> sP: array<f32, ${P}>;
${mse ? `var<workgroup> sL: array<f32, ${2 * WG}>;` : ""}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let c = wid.x;
  let r = wid.y;
  let N = u.N;
${dropout ? dropoutMaskBase(dropout.H) : ""}
  for (var p = lid; p < P; p += WG) { sP[p] = W[r * PS + p]; }
${mse ? `  let gScale = 2.0 * Meta[r * ${META.stride}u + ${META.invTrain}u];\n` : ""}  var acc: array<f32, PPT>;
  for (var q = 0u; q < PPT; q++) { acc[q] = 0.0; }
  var lTrain = 0.0;
  var lVal = 0.0;
  workgroupBarrier();
  for (var tile = c; tile * WG < N; tile += u.C) {
    let n = tile * WG + lid;
    let valid = n < N;
    let nn = select(0u, n, valid);
${mse ? "    let w = select(0.0, M[r * N + nn], valid);\n" : ""}    let yBase = (r * N + nn) * ${F}u;
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
${
  mse
    ? `  sL[lid] = lTrain;
  sL[WG + lid] = lVal;
  workgroupBarrier();
  if (lid == 0u) {
    var st = 0.0;
    var sv = 0.0;
    for (var t = 0u; t < WG; t++) { st += sL[t]; sv += sL[WG + t]; }
    lpart[(r * u.C + c) * 2u] = st;
    lpart[(r * u.C + c) * 2u + 1u] = sv;
  }`
    : ""
}
}
`;
  return {
    label: `hyperensemble-train-fused-${delta}`,
    bindings,
    workgroupSize: WG,
    uniformStruct: UNIFORM_STRUCT,
    body,
  };
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
export function trainShaderCpu(
  shape: MlpShape,
  k: KernelLayout,
  lanes = 8,
  delta: OutputDelta = "mse",
  dropout?: DropoutLayout,
): KernelProgram {
  const { sizes, layers, P, PS } = k;
  const mse = delta === "mse";
  if (mse && dropout) throw new Error("dropout masks need OutputDelta 'buffer'");
  const mask = (l: number, unit: string) =>
    dropout ? `Mk[mBase + n * ${dropout.H}u + ${dropout.offsets[l]}u + ${unit}]` : "";
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
  let layersCode = "";
  for (let l = 0; l < L; l++) {
    const { kernel, bias, fanIn, fanOut } = layers[l]!;
    const last = l === L - 1;
    layersCode += `
    for (var j = 0u; j < ${fanOut}u + z0; j++) {
      let wb = pb + ${kernel}u + j;
      let z = W[pb + ${bias}u + j] + ${sum(fanIn, (i) => `a${l}[${i}] * W[wb + ${i * fanOut}u]`)};
${
  !last
    ? `      a${l + 1}[j] = ${act.fwd}${dropout ? ` * ${mask(l, "j")}` : ""};`
    : mse
      ? `      let e = z - Y[yBase + j];
      lTrain += w * e * e;
      lVal += (1.0 - w) * e * e;
      d${l + 1}[j] = gScale * w * e;`
      : `      d${l + 1}[j] = Y[yBase + j];`
}
    }`;
  }
  for (let l = L - 1; l >= 0; l--) {
    const { kernel, bias, fanIn, fanOut } = layers[l]!;
    layersCode += `
    for (var j = 0u; j < ${fanOut}u + z0; j++) {
      let dj = d${l + 1}[j];
      let gb = pr + ${kernel}u + j;
      part[(pr + ${bias}u + j) * Cs + c] += dj;
${Array.from({ length: fanIn }, (_, i) => `      part[(gb + ${i * fanOut}u) * Cs + c] += a${l}[${i}] * dj;`).join("\n")}
    }`;
    if (l > 0)
      layersCode += `
    for (var i = 0u; i < ${fanIn}u + z0; i++) {
      let wb = pb + ${kernel}u + i * ${fanOut}u;
${
  dropout
    ? `      let mk = ${mask(l - 1, "i")};
      let a = select(0.0, a${l}[i] / mk, mk != 0.0);
      d${l}[i] = (${sum(fanOut, (j) => `W[wb + ${j}u] * d${l + 1}[${j}]`)}) * ${act.deriv} * mk;`
    : `      let a = a${l}[i];
      d${l}[i] = (${sum(fanOut, (j) => `W[wb + ${j}u] * d${l + 1}[${j}]`)}) * ${act.deriv};`
}
    }`;
  }
  const bindings = [
    ...bind("u", "uniform"),
    ...bind("X", "read"),
    ...bind("Y", "read"),
    ...bind("M", "read", undefined, mse),
    ...bind("Mk", "read", undefined, dropout !== undefined),
    ...bind("W", "read"),
    ...bind("Meta", "read", undefined, mse || dropout !== undefined),
    ...bind("part", "read_write"),
    ...bind("lpart", "read_write", undefined, mse),
  ];
  const body = `const P = ${P}u;
const PS = ${PS}u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let c = gid.x;
  let r = wid.y;
  if (c >= u.C) { return; }
  let N = u.N;
  let z0 = u.zero;
  let pb = r * PS;
${dropout ? dropoutMaskBase(dropout.H) : ""}
${mse ? `  let gScale = 2.0 * Meta[r * ${META.stride}u + ${META.invTrain}u];\n` : ""}  let Cs = u.C;
  let pr = r * P;
  for (var p = 0u; p < P + z0; p++) { part[(pr + p) * Cs + c] = 0.0; }
${decl}
  var lTrain = 0.0;
  var lVal = 0.0;
  for (var n = c; n < N; n += u.C) {
${mse ? "    let w = M[r * N + n];\n" : ""}
    let yBase = (r * N + n) * ${F}u;
${Array.from({ length: D }, (_, i) => `    a0[${i}] = X[n * ${D}u + ${i}u];`).join("\n")}
${layersCode}
  }
${
  mse
    ? `  lpart[(r * u.C + c) * 2u] = lTrain;
  lpart[(r * u.C + c) * 2u + 1u] = lVal;`
    : ""
}
}
`;
  return {
    label: `hyperensemble-train-cpu-${delta}`,
    bindings,
    workgroupSize: lanes,
    uniformStruct: UNIFORM_STRUCT,
    body,
  };
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
