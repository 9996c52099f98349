/**
 * The experimental chi2 of train/whitening.ts on the GPU: the task's constants packed for the device
 * and the two WGSL kernels that sit around the network kernels of wgsl.ts.
 *
 * A task's model runs on G rows (grid points or tabular rows) and gives G·F outputs per member; the
 * head maps those to the N data points (a dense FK matrix or a one-to-one selection). The loss of
 * member s is chi2_s = ‖W_s (T_s − D_s)‖² / N_s, W_s the inverse Cholesky factor of the covariance on
 * the member's training points. Because the gradient of a member's output at one row depends on every
 * residual of the member (through the head and the covariance), the fused per-point-block kernel of the
 * mean-squared-error workload cannot form it by itself; a step is therefore four dispatches:
 *
 * 1. `forward` — one invocation per (row, member): the network outputs H [S][G·F].
 * 2. `chi2` — one workgroup per member: prefactor x^α (1−x)^β, head, residual, whitening, training
 *    and validation chi2, positivity penalty, and the back-propagated dL/dH [S][G·F] (plus the
 *    gradient of α, β). Everything per member stays in workgroup memory.
 * 3. `train` of wgsl.ts with OutputDelta "buffer": recomputes the forward pass per row block with the
 *    activations on chip and back-propagates dL/dH into partial gradients.
 * 4. `optimise` of wgsl.ts with early stopping.
 *
 * Whitening: the covariance is block diagonal (independent sub-datasets, data/covariance.ts
 * BlockMatrix), so W_s is block lower-triangular. A member's training and validation sets are
 * disjoint, so their two factors (each embedded at its points' slots of the block, zero elsewhere) are
 * stored as one matrix per block: a row of a training point gives a training residual, a row of a
 * validation point a validation one. z = W e is a row pass per point (each thread a point, no
 * atomics), dchi2/de = 2 Wᵀ (z ⊙ training) / N_train a column pass. This keeps the triangular solve of
 * METHOD.md §3 as two small matrix-vector products with a factor inverted once in float64 on the CPU
 * (the same numbers as whitening.ts), instead of a sequential substitution on the GPU, and costs
 * Σ_b n_b² per member and step; forming C⁻¹ instead (one pass) would lose the whitened residuals'
 * float32 accuracy on ill-conditioned covariances.
 */

import { memberWhitening, type WhiteningBlocks, whiteningBlocks } from "../kernel/task.ts";
import type { Activation } from "../model/mlp.ts";
import type { Task } from "../tasks/task.ts";
import type { Member } from "../train/members.ts";
import { bind, type KernelProgram } from "./program.ts";
import {
  type DropoutLayout,
  dropoutMaskBase,
  type KernelLayout,
  LOOP_ITERATION_BUDGET,
  UNIFORM_STRUCT,
} from "./wgsl.ts";

/** Threads per workgroup of the chi2 kernel and of the forward kernel. */
export const CHI2_WG = 64;

/** Offsets (in f32) of the task constants in the shared `consts` buffer. */
export interface Chi2Shape {
  G: number;
  D: number;
  F: number;
  N: number;
  /** Covariance blocks and the largest block size. */
  NB: number;
  B: number;
  head: "fk" | "select";
  /** none / fixed prefactor (from the initial exponents) / trained exponents. */
  preprocessing: "none" | "fixed" | "trainable";
  /**
   * With dropout the training chi2 (and positivity, gradient) uses the masked network outputs and the
   * validation chi2 and reported predictions the unmasked ones, as train/trainer.ts does.
   */
  dropout: boolean;
  /** Per-member strides: member data, whitening, report. */
  MS: number;
  WS: number;
  RS: number;
  off: { head: number; inverse: number; slot: number; blockPoints: number; lnx: number; ln1mx: number };
  constsLength: number;
}

/** Report row of a member: chi2 train, chi2 validation, positivity penalty, pad, T [N], outputs [G·F]. */
export const REPORT = { train: 0, validation: 1, penalty: 2, predictions: 4 } as const;

export interface PackedTask {
  shape: Chi2Shape;
  consts: Float32Array;
  blocks: number[][];
  whitening: WhiteningBlocks;
}

export function chi2Shape(
  task: Task,
  preprocessing: Chi2Shape["preprocessing"],
  blocks: number[][],
  dropout = false,
): Chi2Shape {
  const G = task.modelInputs.length;
  const D = task.modelInputs[0]!.length;
  const F = task.nOutputs;
  const N = task.dataset.nPoints;
  const GF = G * F;
  const NB = blocks.length;
  const B = blocks.reduce((m, b) => Math.max(m, b.length), 0);
  let o = 0;
  const take = (n: number) => {
    const at = o;
    o += n;
    return at;
  };
  const off = {
    head: take(task.head.kind === "fk" ? N * GF : N),
    inverse: take(task.head.kind === "fk" ? 0 : GF),
    slot: take(N),
    blockPoints: take(NB * B),
    lnx: take(preprocessing === "trainable" ? G : 0),
    ln1mx: take(preprocessing === "trainable" ? G : 0),
  };
  return {
    G,
    D,
    F,
    N,
    NB,
    B,
    head: task.head.kind,
    preprocessing,
    dropout,
    MS: 2 * N + GF + 3,
    WS: NB * B * B,
    RS: REPORT.predictions + N + GF,
    off,
    constsLength: o,
  };
}

/** The task's constants (head, block structure, ln x) in one f32 buffer; indices are exact in f32. */
export function packTask(task: Task, preprocessing: Chi2Shape["preprocessing"], dropout = false): PackedTask {
  const whitening = whiteningBlocks(task);
  const { blocks } = whitening;
  const shape = chi2Shape(task, preprocessing, blocks, dropout);
  const { N, G, F, B, off } = shape;
  if (N >= 1 << 24 || G * F >= 1 << 24) throw new Error("chi2 kernel: indices must stay below 2^24");
  const c = new Float32Array(Math.max(4, shape.constsLength));
  if (task.head.kind === "fk") c.set(task.head.fk, off.head);
  else {
    const inv = new Float32Array(G * F).fill(N);
    task.head.index.forEach((j, i) => {
      if (inv[j] !== N) throw new Error(`head: model output ${j} feeds more than one point`);
      inv[j] = i;
      c[off.head + i] = j;
    });
    c.set(inv, off.inverse);
  }
  c.fill(N, off.blockPoints, off.blockPoints + shape.NB * B);
  blocks.forEach((b, bi) => {
    b.forEach((i, j) => {
      c[off.slot + i] = bi * B + j;
      c[off.blockPoints + bi * B + j] = i;
    });
  });
  if (preprocessing === "trainable") {
    const x = task.preprocessing!.x;
    for (let g = 0; g < G; g++) {
      c[off.lnx + g] = Math.log(x[g]!);
      c[off.ln1mx + g] = Math.log(1 - x[g]!);
    }
  }
  return { shape, consts: c, blocks, whitening };
}

/**
 * Member s's row of the member-data buffer — D_s [N], point class [N] (1 training, 2 validation,
 * 0 held out), fixed prefactor [G·F], λ, 1/N_train, 1/N_validation — and its whitening matrix
 * [NB][B][B] (row = output slot, column = input slot), computed in float64 as whitening.ts does.
 */
export function packMember(
  task: Task,
  packed: PackedTask,
  m: Member,
  prefactor: Float32Array | undefined,
  lambda: number,
): { data: Float32Array; whitening: Float32Array } {
  const { shape } = packed;
  const { N, G, F } = shape;
  const data = new Float32Array(shape.MS);
  data.set(m.data);
  for (const i of m.train) data[N + i] = 1;
  for (const i of m.validation) data[N + i] = 2;
  if (prefactor) data.set(prefactor, 2 * N);
  data[2 * N + G * F] = lambda;
  data[2 * N + G * F + 1] = 1 / Math.max(1, m.train.length);
  data[2 * N + G * F + 2] = 1 / Math.max(1, m.validation.length);
  return { data, whitening: memberWhitening(task, m) };
}

function activation(act: Activation): string {
  switch (act) {
    case "tanh":
      return "tanh(clamp(z, -15.0, 15.0))";
    case "sigmoid":
      return "1.0 / (1.0 + exp(-clamp(z, -80.0, 80.0)))";
    case "relu":
      return "max(z, 0.0)";
    case "linear":
      return "z";
  }
}

/**
 * One invocation per (row g < u.N, member): the raw network outputs H[r][g][:] (no prefactor); with
 * dropout also the outputs with this step's masks, Hd (with the Meta and Mk bindings).
 */
export function forwardShader(k: KernelLayout, act: Activation, dropout?: DropoutLayout): KernelProgram {
  const { sizes, layers, PS } = k;
  const L = layers.length;
  const D = sizes[0]!;
  const F = sizes[L]!;
  const sum = (n: number, term: (i: number) => string) =>
    Array.from({ length: n }, (_, i) => term(i)).join(" + ");
  let decl = "";
  for (let l = 0; l < L; l++) decl += `  var a${l}: array<f32, ${sizes[l]}>;\n`;
  if (dropout) for (let l = 1; l < L; l++) decl += `  var b${l}: array<f32, ${sizes[l]}>;\n`;
  const pass = (v: string, out: string, masked: boolean) => {
    let body = "";
    layers.forEach(({ kernel, bias, fanIn, fanOut }, l) => {
      const input = l === 0 ? "a0" : `${v}${l}`;
      const mask = masked && dropout ? ` * Mk[mBase + g * ${dropout.H}u + ${dropout.offsets[l]}u + j]` : "";
      body += `
  for (var j = 0u; j < ${fanOut}u + u.zero; j++) {
    let wb = pb + ${kernel}u + j;
    let z = W[pb + ${bias}u + j] + ${sum(fanIn, (i) => `${input}[${i}] * W[wb + ${i * fanOut}u]`)};
    ${l === L - 1 ? `${out}[(r * u.N + g) * ${F}u + j] = z;` : `${v}${l + 1}[j] = ${activation(act)}${mask};`}
  }`;
    });
    return body;
  };
  const body =
    pass("a", "H", false) + (dropout ? `\n${dropoutMaskBase(dropout.H)}${pass("b", "Hd", true)}` : "");
  const bindings = [
    ...bind("u", "uniform"),
    ...bind("X", "read", `[G][${D}]`),
    ...bind("W", "read", `[R][${PS}]`),
    ...bind("H", "read_write", `[R][G][${F}]`),
    ...bind("Meta", "read", undefined, dropout !== undefined),
    ...bind("Mk", "read", `[K][R][G][${dropout?.H}] dropout masks`, dropout !== undefined),
    ...bind("Hd", "read_write", `[R][G][${F}] with the masks`, dropout !== undefined),
  ];
  const code = `@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let g = gid.x;
  let r = gid.y;
  if (g >= u.N) { return; }
  let pb = r * ${PS}u;
${decl}${Array.from({ length: D }, (_, i) => `  a0[${i}] = X[g * ${D}u + ${i}u];`).join("\n")}
${body}
}
`;
  return {
    label: "hyperensemble-forward",
    bindings,
    workgroupSize: CHI2_WG,
    uniformStruct: UNIFORM_STRUCT,
    body: code,
  };
}

/** Bytes of workgroup memory the chi2 kernel needs. */
export function chi2SharedBytes(s: Chi2Shape): number {
  const GF = s.G * s.F;
  const unmasked = s.dropout ? GF + s.N : 0;
  return 4 * (3 * GF + s.N + unmasked + s.NB * s.B + 3 * CHI2_WG);
}

/** Loop iterations of one chi2-kernel invocation (llvmpipe caps them: wgsl.ts LOOP_ITERATION_BUDGET). */
export function chi2LoopIterations(s: Chi2Shape): number {
  const GF = s.G * s.F;
  const per = (n: number) => Math.ceil(n / CHI2_WG);
  const heads = s.dropout ? 2 : 1;
  const headCost = s.head === "fk" ? heads * per(s.N) * GF + per(GF) * s.N : heads * per(s.N) + per(GF);
  return per(GF) * 2 + per(s.NB * s.B) + 2 * per(s.N) * (s.B + 1) + headCost + per(2 * s.F) * s.G + CHI2_WG;
}

/** Throws when the task does not fit the chi2 kernel on this device. */
export function checkChi2Limits(s: Chi2Shape, maxSharedBytes: number): void {
  const bytes = chi2SharedBytes(s);
  if (bytes > maxSharedBytes)
    throw new Error(
      `the chi2 kernel needs ${bytes} B of workgroup memory for N=${s.N} points and ${s.G}×${s.F} outputs (device limit ${maxSharedBytes} B)`,
    );
  const it = chi2LoopIterations(s);
  if (it > LOOP_ITERATION_BUDGET)
    throw new Error(
      `the chi2 kernel would run ${it} loop iterations per invocation (limit ${LOOP_ITERATION_BUDGET})`,
    );
}

/**
 * One workgroup per member. Bindings: 1 H, 2 W (trained exponents only), 3 member data, 4 consts,
 * 5 whitening, 6 dL/dH, 7 gradient of α, β (with preprocessing), 8 report, 9 Hd (with dropout).
 */
export function chi2Shader(s: Chi2Shape, PS: number, alpha: number): KernelProgram {
  const { N, G, F, NB, B, MS, WS, RS, off } = s;
  const GF = G * F;
  const WG = CHI2_WG;
  const pre = s.preprocessing;
  const prefactor =
    pre === "trainable"
      ? `let gg = k / ${F}u;
    let f = k % ${F}u;
    let pf = exp(W[r * ${PS}u + ${alpha}u + f] * K[${off.lnx}u + gg] + W[r * ${PS}u + ${alpha + F}u + f] * K[${off.ln1mx}u + gg]);`
      : pre === "fixed"
        ? `let pf = MD[md + ${2 * N}u + k];`
        : "let pf = 1.0;";
  const dropout = s.dropout;
  const head = (t: string, y: string) =>
    s.head === "fk"
      ? `var ${t} = 0.0;
    for (var k = 0u; k < ${GF}u; k++) { ${t} += K[${off.head}u + n * ${GF}u + k] * ${y}[k]; }`
      : `let ${t} = ${y}[u32(K[${off.head}u + n])];`;
  const headT =
    s.head === "fk"
      ? `var gy = 0.0;
    for (var n = 0u; n < ${N}u; n++) { gy += K[${off.head}u + n * ${GF}u + k] * sE[n]; }`
      : `let pi = u32(K[${off.inverse}u + k]);
    var gy = 0.0;
    if (pi < ${N}u) { gy = sE[pi]; }`;
  const exponents =
    pre === "none"
      ? ""
      : `  workgroupBarrier();
  for (var q = lid; q < ${2 * F}u; q += WG) {
    var s = 0.0;
${
  pre === "trainable"
    ? `    let f = q % ${F}u;
    let lnBase = select(${off.ln1mx}u, ${off.lnx}u, q < ${F}u);
    for (var g = 0u; g < ${G}u; g++) { s += sG[g * ${F}u + f] * K[lnBase + g]; }`
    : "    // fixed exponents: no gradient (train/trainer.ts freezes them)"
}
    xgrad[r * ${2 * F}u + q] = s;
  }`;
  const bindings = [
    ...bind("H", "read", `[R][${GF}] network outputs`),
    ...bind("W", "read", `[R][${PS}]`, pre === "trainable"),
    ...bind("MD", "read", `[R][${MS}] member data`),
    ...bind("K", "read", "task constants"),
    ...bind("Wh", "read", `[R][${NB}][${B}][${B}] whitening`),
    ...bind("gout", "read_write", `[R][${GF}] dL/dH`),
    ...bind("xgrad", "read_write", `[R][${2 * F}] dL/d(α, β)`, pre !== "none"),
    ...bind("report", "read_write", `[R][${RS}]`),
    ...bind("Hd", "read", `[R][${GF}] outputs with dropout`, dropout),
  ];
  const code = `const WG = ${WG}u;
var<workgroup> sY: array<f32, ${GF}>;
var<workgroup> sPf: array<f32, ${GF}>;
var<workgroup> sG: array<f32, ${GF}>;
var<workgroup> sE: array<f32, ${N}>;
${dropout ? `var<workgroup> sYv: array<f32, ${GF}>;\nvar<workgroup> sEv: array<f32, ${N}>;\n` : ""}var<workgroup> sZ: array<f32, ${NB * B}>;
var<workgroup> sL: array<f32, ${3 * WG}>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wid.x;
  let md = r * ${MS}u;
  let wh = r * ${WS}u;
  let rp = r * ${RS}u;
  let lambda = MD[md + ${2 * N + GF}u];
  let invT = MD[md + ${2 * N + GF + 1}u];
  let invV = MD[md + ${2 * N + GF + 2}u];
  var pen = 0.0;
  for (var k = lid; k < ${GF}u; k += WG) {
    ${prefactor}
${
  dropout
    ? `    // training path with this step's dropout masks, validation and report without
    let y = Hd[r * ${GF}u + k] * pf;
    let yv = H[r * ${GF}u + k] * pf;
    sYv[k] = yv;`
    : `    let y = H[r * ${GF}u + k] * pf;
    let yv = y;`
}
    sY[k] = y;
    sPf[k] = pf;
    report[rp + ${REPORT.predictions + N}u + k] = yv;
    pen += max(-y, 0.0);
  }
  for (var q = lid; q < ${NB * B}u; q += WG) { sZ[q] = 0.0; }
  workgroupBarrier();
  // predictions and residuals
  for (var n = lid; n < ${N}u; n += WG) {
    ${head("t", "sY")}
    sE[n] = t - MD[md + n];
${
  dropout
    ? `    ${head("tv", "sYv")}
    sEv[n] = tv - MD[md + n];`
    : "    let tv = t;"
}
    report[rp + ${REPORT.predictions}u + n] = tv;
  }
  workgroupBarrier();
  // whitened residual of each point: its row of the block's factor
  var lt = 0.0;
  var lv = 0.0;
  for (var n = lid; n < ${N}u; n += WG) {
    let slot = u32(K[${off.slot}u + n]);
    let b0 = (slot / ${B}u) * ${B}u;
    let j = slot - b0;
    let row = wh + slot * ${B}u;
    let cls = MD[md + ${N}u + n];
    var z = 0.0;
${
  dropout
    ? `    let isVal = cls == 2.0;
    for (var i = 0u; i <= j; i++) {
      let pi = u32(K[${off.blockPoints}u + b0 + i]);
      z += Wh[row + i] * select(sE[pi], sEv[pi], isVal);
    }`
    : `    for (var i = 0u; i <= j; i++) { z += Wh[row + i] * sE[u32(K[${off.blockPoints}u + b0 + i])]; }`
}
    if (cls == 1.0) {
      lt += z * z;
      sZ[slot] = 2.0 * invT * z;
    } else if (cls == 2.0) {
      lv += z * z;
    }
  }
  workgroupBarrier();
  // dchi2/de: the point's column of the factor against the scaled training residuals
  for (var n = lid; n < ${N}u; n += WG) {
    let slot = u32(K[${off.slot}u + n]);
    let b0 = (slot / ${B}u) * ${B}u;
    let j = slot - b0;
    var s = 0.0;
    for (var jj = j; jj < ${B}u; jj++) { s += Wh[wh + (b0 + jj) * ${B}u + j] * sZ[b0 + jj]; }
    sE[n] = s;
  }
  workgroupBarrier();
  // back through the head, the positivity penalty and the prefactor
  for (var k = lid; k < ${GF}u; k += WG) {
    ${headT}
    if (sY[k] < 0.0) { gy -= lambda; }
    gout[r * ${GF}u + k] = gy * sPf[k];
    sG[k] = gy * sY[k];
  }
${exponents}
  sL[lid] = lt;
  sL[WG + lid] = lv;
  sL[2u * WG + lid] = pen;
  workgroupBarrier();
  if (lid == 0u) {
    var st = 0.0;
    var sv = 0.0;
    var sp = 0.0;
    for (var q = 0u; q < WG; q++) { st += sL[q]; sv += sL[WG + q]; sp += sL[2u * WG + q]; }
    report[rp + ${REPORT.train}u] = st * invT;
    report[rp + ${REPORT.validation}u] = sv * invV;
    report[rp + ${REPORT.penalty}u] = sp * lambda;
  }
}
`;
  return { label: "hyperensemble-chi2", bindings, workgroupSize: WG, body: code };
}
