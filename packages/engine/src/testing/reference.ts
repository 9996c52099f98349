/**
 * Independent float64 references for tests: plain loops, Gaussian elimination instead of Cholesky,
 * a scalar MLP instead of stacked tensors. Nothing here shares code with the engine.
 */

/** Deterministic test randomness (LCG + Box-Muller), separate from the engine's generator. */
export function testRandom(seed: number): { uniform: () => number; normal: () => number } {
  let s = seed >>> 0 || 1;
  const uniform = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  return {
    uniform,
    normal: () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()),
  };
}

/** Random SPD matrix Q diag(λ) Qᵀ with eigenvalues log-spaced in [1, cond] (row-major). */
export function randomSpd(n: number, cond: number, seed: number): Float64Array {
  const rnd = testRandom(seed);
  const q: number[][] = [];
  for (let i = 0; i < n; i++) {
    let v = Array.from({ length: n }, () => rnd.normal());
    for (const u of q) {
      const d = v.reduce((a, x, k) => a + x * u[k]!, 0);
      v = v.map((x, k) => x - d * u[k]!);
    }
    const norm = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
    q.push(v.map((x) => x / norm));
  }
  const lam = Array.from({ length: n }, (_, i) => cond ** (n === 1 ? 0 : i / (n - 1)));
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += q[k]![i]! * lam[k]! * q[k]![j]!;
      c[i * n + j] = s;
    }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) c[j * n + i] = c[i * n + j]!;
  return c;
}

/** Solve C x = b by Gaussian elimination with partial pivoting. */
export function gaussSolve(c: ArrayLike<number>, n: number, b: ArrayLike<number>): number[] {
  const a = Array.from({ length: n }, (_, i) => [
    ...Array.from({ length: n }, (_, j) => c[i * n + j]!),
    b[i]!,
  ]);
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[piv]![col]!)) piv = r;
    [a[col], a[piv]] = [a[piv]!, a[col]!];
    for (let r = col + 1; r < n; r++) {
      const f = a[r]![col]! / a[col]![col]!;
      for (let k = col; k <= n; k++) a[r]![k]! -= f * a[col]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = a[i]![n]!;
    for (let k = i + 1; k < n; k++) s -= a[i]![k]! * x[k]!;
    x[i] = s / a[i]![i]!;
  }
  return x;
}

/** chi2 = rᵀ C⁻¹ r / n over the points idx of a full covariance (n_full × n_full). */
export function referenceChi2(
  cov: ArrayLike<number>,
  nFull: number,
  idx: number[],
  t: ArrayLike<number>,
  d: ArrayLike<number>,
): number {
  const m = idx.length;
  const sub = new Float64Array(m * m);
  idx.forEach((i, a) => {
    idx.forEach((j, b) => {
      sub[a * m + b] = cov[i * nFull + j]!;
    });
  });
  const r = idx.map((i) => t[i]! - d[i]!);
  const x = gaussSolve(sub, m, r);
  return r.reduce((acc, v, k) => acc + v * x[k]!, 0) / m;
}

/** Scalar float64 MLP with the engine's flat parameter layout (kernel row-major [in][out], then bias). */
export function referenceForward(
  params: ArrayLike<number>,
  sizes: number[],
  activation: "tanh" | "sigmoid" | "relu" | "linear",
  inputs: number[][],
  preprocessing?: { x: ArrayLike<number>; alpha: number; beta: number },
): number[][] {
  const act = (v: number) =>
    activation === "tanh"
      ? Math.tanh(v)
      : activation === "sigmoid"
        ? 1 / (1 + Math.exp(-v))
        : activation === "relu"
          ? Math.max(0, v)
          : v;
  return inputs.map((row, g) => {
    let h = row.slice();
    let off = 0;
    for (let l = 0; l + 1 < sizes.length; l++) {
      const fin = sizes[l]!;
      const fout = sizes[l + 1]!;
      const next = new Array<number>(fout).fill(0);
      for (let o = 0; o < fout; o++) {
        let s = params[off + fin * fout + o]!;
        for (let i = 0; i < fin; i++) s += h[i]! * params[off + i * fout + o]!;
        next[o] = l + 2 < sizes.length ? act(s) : s;
      }
      off += fin * fout + fout;
      h = next;
    }
    if (preprocessing) {
      const F = sizes[sizes.length - 1]!;
      const x = preprocessing.x[g]!;
      h = h.map(
        (v, f) => v * x ** params[preprocessing.alpha + f]! * (1 - x) ** params[preprocessing.beta + f]!,
      );
      void F;
    }
    return h;
  });
}
