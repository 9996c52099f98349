/**
 * Dense float64 linear algebra for covariances: Cholesky, triangular solves, chi2. Everything the
 * reported estimators use runs here in float64; the float32 training graph only sees whitening
 * matrices derived from these factors.
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

/** Lower Cholesky factor L with C = L Lᵀ (row-major). Throws NotPositiveDefiniteError. */
export function cholesky(c: SquareMatrix): SquareMatrix {
  const { n, data } = c;
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let diag = data[j * n + j]!;
    for (let k = 0; k < j; k++) {
      const v = l[j * n + k]!;
      diag -= v * v;
    }
    if (!(diag > 0) || !Number.isFinite(diag)) throw new NotPositiveDefiniteError(j, diag);
    const ljj = Math.sqrt(diag);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = data[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      l[i * n + j] = s / ljj;
    }
  }
  return { n, data: l };
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

/** Covariance restricted to the given point indices. */
export function subMatrix(c: SquareMatrix, idx: readonly number[]): SquareMatrix {
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

/**
 * A set of points with its covariance factor, computed once and reused for every chi2 on that set.
 */
export class PointSet {
  readonly chol: SquareMatrix;
  constructor(
    readonly indices: readonly number[],
    cov: SquareMatrix,
  ) {
    this.chol = cholesky(subMatrix(cov, indices));
  }

  get size(): number {
    return this.indices.length;
  }

  /** chi2_S(T, D) = (T − D)_Sᵀ C_S⁻¹ (T − D)_S / N_S, with T and D over all points. */
  chi2(t: ArrayLike<number>, d: ArrayLike<number>): number {
    const r = new Float64Array(this.indices.length);
    for (let a = 0; a < r.length; a++) {
      const i = this.indices[a]!;
      r[a] = t[i]! - d[i]!;
    }
    return mahalanobis(this.chol, r) / r.length;
  }
}

/** Connected components of the covariance's non-zero pattern, each sorted. */
export function covarianceBlocks(cov: SquareMatrix): number[][] {
  const n = cov.n;
  const parent = Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => {
    let r = i;
    while (parent[r] !== r) r = parent[r]!;
    while (parent[i] !== r) {
      const next = parent[i]!;
      parent[i] = r;
      i = next;
    }
    return r;
  };
  for (let i = 0; i < n; i++)
    for (let j = 0; j < i; j++)
      if (cov.data[i * n + j] !== 0) {
        const a = find(i);
        const b = find(j);
        if (a !== b) parent[a] = b;
      }
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const r = find(i);
    const g = groups.get(r);
    if (g) g.push(i);
    else groups.set(r, [i]);
  }
  return [...groups.values()];
}
