/**
 * Dense float64 linear algebra, the one home of the Cholesky loops: the dataset covariance blocks
 * (data/covariance.ts), the estimators' point sets and the search's Gaussian process
 * (search/linalg.ts) all factorise here. Everything the reported estimators use runs in float64; the
 * float32 training graph only sees whitening matrices derived from these factors.
 */

/** Row-major square matrix of size n. */
export interface SquareMatrix {
  n: number;
  data: Float64Array;
}

export class NotPositiveDefiniteError extends Error {
  constructor(
    readonly pivot: number,
    readonly value: number,
  ) {
    super(`matrix is not positive definite: pivot ${pivot} is ${value}`);
  }
}

/** One row entry of the Cholesky–Banachiewicz recurrence: L[r][c] from rows r and c (c ≤ r). */
function choleskyEntry(a: Float64Array, l: Float64Array, n: number, r: number, c: number): void {
  const rr = r * n;
  const rc = c * n;
  let s = a[rr + c]!;
  for (let k = 0; k < c; k++) s -= l[rr + k]! * l[rc + k]!;
  if (c < r) {
    l[rr + c] = s / l[rc + c]!;
    return;
  }
  if (!(s > 0) || !Number.isFinite(s)) throw new NotPositiveDefiniteError(r, s);
  l[rr + r] = Math.sqrt(s);
}

/** Rows per panel of the blocked Cholesky (a multiple of 4, the rows of one register tile). */
const PANEL = 16;

/**
 * Lower Cholesky factor L with C = L Lᵀ (row-major). Throws NotPositiveDefiniteError.
 *
 * Row by row (each row from the rows above it), in panels of PANEL rows: every pair of finished rows
 * j, j+1 is swept over the whole panel while it is hot in cache, four panel rows at a time, so eight
 * independent dot products share their loads. About 3× the speed of one entry at a time on blocks of
 * 2,000 points. Every entry still subtracts its terms in the same order (k ascending, then the k = j
 * term last), so the factor is bit-identical to the textbook loop and no caller's numbers change.
 */
export function cholesky(c: SquareMatrix): SquareMatrix {
  const { n, data: a } = c;
  const l = new Float64Array(n * n);
  let i = 0;
  for (; i + PANEL <= n; i += PANEL) {
    for (let j = 0; j + 3 < i; j += 4) choleskyTiles(a, l, n, i, j);
    // the panel's own columns (i ≤ c ≤ r), one entry at a time: PANEL² entries of n terms each
    for (let r = i; r < i + PANEL; r++) for (let col = i; col <= r; col++) choleskyEntry(a, l, n, r, col);
  }
  for (; i < n; i++) for (let col = 0; col <= i; col++) choleskyEntry(a, l, n, i, col);
  return { n, data: l };
}

/**
 * Columns j .. j+3 (finished rows, j + 3 < i) of the panel's rows i .. i+PANEL−1, four rows at a time:
 * a 4 × 4 register tile, eight loads for sixteen multiply-adds per k.
 */
function choleskyTiles(a: Float64Array, l: Float64Array, n: number, i: number, j: number): void {
  const q0 = j * n;
  const q1 = q0 + n;
  const q2 = q1 + n;
  const q3 = q2 + n;
  const d0 = l[q0 + j]!;
  const d1 = l[q1 + j + 1]!;
  const d2 = l[q2 + j + 2]!;
  const d3 = l[q3 + j + 3]!;
  const y10 = l[q1 + j]!;
  const y20 = l[q2 + j]!;
  const y21 = l[q2 + j + 1]!;
  const y30 = l[q3 + j]!;
  const y31 = l[q3 + j + 1]!;
  const y32 = l[q3 + j + 2]!;
  for (let p = i; p < i + PANEL; p += 4) {
    const r0 = p * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    let s00 = a[r0 + j]!;
    let s01 = a[r0 + j + 1]!;
    let s02 = a[r0 + j + 2]!;
    let s03 = a[r0 + j + 3]!;
    let s10 = a[r1 + j]!;
    let s11 = a[r1 + j + 1]!;
    let s12 = a[r1 + j + 2]!;
    let s13 = a[r1 + j + 3]!;
    let s20 = a[r2 + j]!;
    let s21 = a[r2 + j + 1]!;
    let s22 = a[r2 + j + 2]!;
    let s23 = a[r2 + j + 3]!;
    let s30 = a[r3 + j]!;
    let s31 = a[r3 + j + 1]!;
    let s32 = a[r3 + j + 2]!;
    let s33 = a[r3 + j + 3]!;
    for (let k = 0; k < j; k++) {
      const y0 = l[q0 + k]!;
      const y1 = l[q1 + k]!;
      const y2 = l[q2 + k]!;
      const y3 = l[q3 + k]!;
      const x0 = l[r0 + k]!;
      const x1 = l[r1 + k]!;
      const x2 = l[r2 + k]!;
      const x3 = l[r3 + k]!;
      s00 -= x0 * y0;
      s01 -= x0 * y1;
      s02 -= x0 * y2;
      s03 -= x0 * y3;
      s10 -= x1 * y0;
      s11 -= x1 * y1;
      s12 -= x1 * y2;
      s13 -= x1 * y3;
      s20 -= x2 * y0;
      s21 -= x2 * y1;
      s22 -= x2 * y2;
      s23 -= x2 * y3;
      s30 -= x3 * y0;
      s31 -= x3 * y1;
      s32 -= x3 * y2;
      s33 -= x3 * y3;
    }
    finishTileRow(l, r0, j, s00, s01, s02, s03, d0, d1, d2, d3, y10, y20, y21, y30, y31, y32);
    finishTileRow(l, r1, j, s10, s11, s12, s13, d0, d1, d2, d3, y10, y20, y21, y30, y31, y32);
    finishTileRow(l, r2, j, s20, s21, s22, s23, d0, d1, d2, d3, y10, y20, y21, y30, y31, y32);
    finishTileRow(l, r3, j, s30, s31, s32, s33, d0, d1, d2, d3, y10, y20, y21, y30, y31, y32);
  }
}

/** One tile row's four entries: L[r][j] first, then each k = j.. term in ascending order (the textbook order). */
function finishTileRow(
  l: Float64Array,
  r: number,
  j: number,
  s0: number,
  s1: number,
  s2: number,
  s3: number,
  d0: number,
  d1: number,
  d2: number,
  d3: number,
  y10: number,
  y20: number,
  y21: number,
  y30: number,
  y31: number,
  y32: number,
): void {
  const v0 = s0 / d0;
  const v1 = (s1 - v0 * y10) / d1;
  const v2 = (s2 - v0 * y20 - v1 * y21) / d2;
  const v3 = (s3 - v0 * y30 - v1 * y31 - v2 * y32) / d3;
  l[r + j] = v0;
  l[r + j + 1] = v1;
  l[r + j + 2] = v2;
  l[r + j + 3] = v3;
}

/** Solve L y = b for lower-triangular L (forward substitution). */
export function solveLower(l: SquareMatrix, b: ArrayLike<number>): Float64Array {
  const { n, data } = l;
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= data[i * n + k]! * y[k]!;
    y[i] = s / data[i * n + i]!;
  }
  return y;
}

/** Solve Lᵀ x = y for lower-triangular L (back substitution). */
export function solveLowerTransposed(l: SquareMatrix, y: ArrayLike<number>): Float64Array {
  const { n, data } = l;
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= data[k * n + i]! * x[k]!;
    x[i] = s / data[i * n + i]!;
  }
  return x;
}

/** Inverse of a lower-triangular matrix (itself lower-triangular). */
export function invertLower(l: SquareMatrix): SquareMatrix {
  const { n, data } = l;
  const inv = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    inv[j * n + j] = 1 / data[j * n + j]!;
    for (let i = j + 1; i < n; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= data[i * n + k]! * inv[k * n + j]!;
      inv[i * n + j] = s / data[i * n + i]!;
    }
  }
  return { n, data: inv };
}

/** A dense matrix restricted to the given rows and columns (in that order). */
export function subMatrix(c: SquareMatrix, idx: ArrayLike<number>): SquareMatrix {
  const m = idx.length;
  const out = new Float64Array(m * m);
  for (let a = 0; a < m; a++) {
    const row = idx[a]! * c.n;
    for (let b = 0; b < m; b++) out[a * m + b] = c.data[row + idx[b]!]!;
  }
  return { n: m, data: out };
}

/** Squared Mahalanobis norm rᵀ C⁻¹ r through the Cholesky factor of C (no explicit inverse). */
export function mahalanobis(l: SquareMatrix, r: ArrayLike<number>): number {
  const y = solveLower(l, r);
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i]! * y[i]!;
  return s;
}
