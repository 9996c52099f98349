import {
  cholesky,
  invertLower,
  NotPositiveDefiniteError,
  type SquareMatrix,
  solveLower,
  subMatrix,
} from "../linalg.ts";

/**
 * A covariance stored per correlated block, never as a dense N × N. Points of different blocks are
 * uncorrelated (independent sub-datasets, or points with statistical errors only), so the matrix is
 * block diagonal up to a permutation of the points; each block is a dense row-major matrix over its
 * points in ascending order. Memory is Σ n_b² instead of N², and a Cholesky factor Σ n_b³ / 3.
 *
 * The same layout holds a block Cholesky factor (`factor()`): factorising each block gives exactly the
 * dense factor's entries, because every term a dense Cholesky adds across blocks is a product with an
 * exact zero.
 */
export class BlockMatrix {
  /** Number of points (the dense size N). */
  readonly n: number;
  /** Points in block order: block b owns order[pointStart[b] .. pointStart[b + 1]), ascending. */
  readonly order: Int32Array;
  readonly pointStart: Int32Array;
  /** Offset of block b's m_b × m_b matrix in `entries` (Σ m_b² can pass 2³¹, so float64). */
  readonly entryStart: Float64Array;
  readonly entries: Float64Array;
  /** Point i lies in block blockOf[i], at position slot[i] of that block. */
  readonly blockOf: Int32Array;
  readonly slot: Int32Array;

  constructor(n: number, order: Int32Array, pointStart: Int32Array, entries: Float64Array) {
    this.n = n;
    this.order = order;
    this.pointStart = pointStart;
    this.entries = entries;
    const nb = pointStart.length - 1;
    this.entryStart = new Float64Array(nb + 1);
    this.blockOf = new Int32Array(n);
    this.slot = new Int32Array(n);
    for (let b = 0; b < nb; b++) {
      const m = pointStart[b + 1]! - pointStart[b]!;
      this.entryStart[b + 1] = this.entryStart[b]! + m * m;
      for (let a = 0; a < m; a++) {
        const i = order[pointStart[b]! + a]!;
        this.blockOf[i] = b;
        this.slot[i] = a;
      }
    }
    if (this.entryStart[nb] !== entries.length)
      throw new Error(`block matrix: ${entries.length} entries for blocks needing ${this.entryStart[nb]}`);
  }

  get nBlocks(): number {
    return this.pointStart.length - 1;
  }

  blockSize(b: number): number {
    return this.pointStart[b + 1]! - this.pointStart[b]!;
  }

  get maxBlockSize(): number {
    let m = 0;
    for (let b = 0; b < this.nBlocks; b++) m = Math.max(m, this.blockSize(b));
    return m;
  }

  /** True when every block is one point (then whitening is elementwise). */
  get isDiagonal(): boolean {
    return this.nBlocks === this.n;
  }

  /** Block b's points (global indices, ascending). */
  blockPoints(b: number): Int32Array {
    return this.order.subarray(this.pointStart[b]!, this.pointStart[b + 1]!);
  }

  /** Block b's dense matrix (a view, not a copy). */
  block(b: number): SquareMatrix {
    return {
      n: this.blockSize(b),
      data: this.entries.subarray(this.entryStart[b]!, this.entryStart[b + 1]!),
    };
  }

  /** The blocks as lists of global point indices (each ascending). */
  blockList(): number[][] {
    return Array.from({ length: this.nBlocks }, (_, b) => Array.from(this.blockPoints(b)));
  }

  /** Entry [i][j] of the dense matrix (zero across blocks). */
  entry(i: number, j: number): number {
    const b = this.blockOf[i]!;
    if (this.blockOf[j] !== b) return 0;
    return this.entries[this.entryStart[b]! + this.slot[i]! * this.blockSize(b) + this.slot[j]!]!;
  }

  /** Diagonal entry [i][i]. */
  variance(i: number): number {
    return this.entry(i, i);
  }

  /**
   * The matrix restricted to a set of points, split by block: for each block the set touches, its
   * points (ascending) and the dense sub-matrix over them.
   */
  restrict(points: Iterable<number>): { points: number[]; matrix: SquareMatrix }[] {
    const byBlock = new Map<number, number[]>();
    for (const i of points) {
      const b = this.blockOf[i]!;
      const list = byBlock.get(b);
      if (list) list.push(i);
      else byBlock.set(b, [i]);
    }
    return [...byBlock.entries()]
      .sort((x, y) => x[0] - y[0])
      .map(([b, idx]) => {
        idx.sort((x, y) => x - y);
        return {
          points: idx,
          matrix: subMatrix(
            this.block(b),
            idx.map((i) => this.slot[i]!),
          ),
        };
      });
  }

  /**
   * The block-wise lower Cholesky factor, in this layout. Throws NotPositiveDefiniteError whose pivot
   * is the global index of the failing point. With `owned`, only those blocks (the others stay zero):
   * one thread's share (blockOwners).
   */
  factor(owned?: (block: number) => boolean): BlockMatrix {
    const out = new Float64Array(this.entries.length);
    for (let b = 0; b < this.nBlocks; b++) {
      if (owned && !owned(b)) continue;
      const at = this.entryStart[b]!;
      if (this.blockSize(b) === 1) {
        // an uncorrelated point (most of a large dataset): √variance, as the general loop computes it
        const v = this.entries[at]!;
        if (!(v > 0) || !Number.isFinite(v))
          throw new NotPositiveDefiniteError(this.order[this.pointStart[b]!]!, v);
        out[at] = Math.sqrt(v);
        continue;
      }
      try {
        out.set(cholesky(this.block(b)).data, at);
      } catch (e) {
        if (e instanceof NotPositiveDefiniteError)
          throw new NotPositiveDefiniteError(this.blockPoints(b)[e.pivot]!, e.value);
        throw e;
      }
    }
    return new BlockMatrix(this.n, this.order, this.pointStart, out);
  }

  /**
   * base + L z with this as a lower factor L (base defaults to zero). Each point's sum runs over its
   * block in ascending order, as the dense loop did (its other terms were exact zeros), so the
   * numbers are the dense ones bit for bit.
   */
  lowerTimes(z: ArrayLike<number>, base?: ArrayLike<number>): Float64Array {
    const out = new Float64Array(this.n);
    for (let b = 0; b < this.nBlocks; b++) {
      const pts = this.blockPoints(b);
      const m = pts.length;
      const e0 = this.entryStart[b]!;
      for (let a = 0; a < m; a++) {
        let s = base ? base[pts[a]!]! : 0;
        for (let c = 0; c <= a; c++) s += this.entries[e0 + a * m + c]! * z[pts[c]!]!;
        out[pts[a]!] = s;
      }
    }
    return out;
  }

  /** The dense N × N matrix: for tests and small references only. */
  toDense(): SquareMatrix {
    const n = this.n;
    if (n * n > 1 << 24) throw new Error(`block matrix: refusing a dense ${n} × ${n} copy`);
    const out = new Float64Array(n * n);
    for (let b = 0; b < this.nBlocks; b++) {
      const pts = this.blockPoints(b);
      const m = pts.length;
      const e0 = this.entryStart[b]!;
      for (let a = 0; a < m; a++)
        for (let c = 0; c < m; c++) out[pts[a]! * n + pts[c]!] = this.entries[e0 + a * m + c]!;
    }
    return { n, data: out };
  }

  /** A row-major dense matrix split into its blocks (fromDense). */
  static fromSquare(m: SquareMatrix): BlockMatrix {
    return BlockMatrix.fromDense({ n: m.n, row: (i) => m.data.subarray(i * m.n, (i + 1) * m.n) });
  }

  /** Blocks given as point lists (each ascending, together a partition of 0..n−1) and their matrices. */
  static fromBlocks(n: number, blocks: { points: ArrayLike<number>; matrix: Float64Array }[]): BlockMatrix {
    const order = new Int32Array(n);
    const pointStart = new Int32Array(blocks.length + 1);
    let total = 0;
    blocks.forEach((blk, b) => {
      order.set(blk.points, pointStart[b]!);
      pointStart[b + 1] = pointStart[b]! + blk.points.length;
      total += blk.matrix.length;
    });
    if (pointStart[blocks.length] !== n)
      throw new Error(`block matrix: blocks cover ${pointStart[blocks.length]} of ${n} points`);
    const entries = new Float64Array(total);
    let at = 0;
    for (const blk of blocks) {
      entries.set(blk.matrix, at);
      at += blk.matrix.length;
    }
    return new BlockMatrix(n, order, pointStart, entries);
  }

  /** A diagonal matrix (every point its own block). */
  static diagonal(variances: ArrayLike<number>): BlockMatrix {
    const n = variances.length;
    const order = Int32Array.from({ length: n }, (_, i) => i);
    const pointStart = Int32Array.from({ length: n + 1 }, (_, i) => i);
    return new BlockMatrix(n, order, pointStart, Float64Array.from(variances));
  }

  /**
   * A dense matrix split into the connected components of its non-zero pattern (one dense block when
   * everything is correlated). Reads the N² entries once; allocates only the blocks. `blocks` may be
   * given when already computed (connectedBlocks).
   */
  static fromDense(
    c: { n: number; row: (i: number) => ArrayLike<number> },
    blocks: number[][] = connectedBlocks(c),
  ): BlockMatrix {
    return BlockMatrix.fromBlocks(
      c.n,
      blocks.map((pts) => {
        const m = pts.length;
        const matrix = new Float64Array(m * m);
        pts.forEach((i, a) => {
          const row = c.row(i);
          for (let b = 0; b < m; b++) matrix[a * m + b] = row[pts[b]!]!;
        });
        return { points: pts, matrix };
      }),
    );
  }
}

/**
 * Which of `threads` threads factorises each block: blocks by decreasing work (m³), each to the
 * least-loaded thread so far (ties to the lower thread). Deterministic in the layout, so every thread
 * and the caller that merges their factors compute the same owners.
 */
export function blockOwners(cov: BlockMatrix, threads: number): Int32Array {
  const owner = new Int32Array(cov.nBlocks);
  if (threads <= 1) return owner;
  const load = new Float64Array(threads);
  const byWork = Array.from({ length: cov.nBlocks }, (_, b) => b).sort(
    (x, y) => cov.blockSize(y) - cov.blockSize(x) || x - y,
  );
  for (const b of byWork) {
    let t = 0;
    for (let u = 1; u < threads; u++) if (load[u]! < load[t]!) t = u;
    owner[b] = t;
    load[t] = load[t]! + cov.blockSize(b) ** 3;
  }
  return owner;
}

/** Connected components of a dense matrix's non-zero pattern (lower triangle), each ascending. */
export function connectedBlocks(c: { n: number; row: (i: number) => ArrayLike<number> }): number[][] {
  const n = c.n;
  const parent = Int32Array.from({ length: n }, (_, i) => i);
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
  for (let i = 0; i < n; i++) {
    const row = c.row(i);
    for (let j = 0; j < i; j++)
      if (row[j] !== 0) {
        const a = find(i);
        const b = find(j);
        if (a !== b) parent[a] = b;
      }
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

/**
 * A set of points with its covariance factor, computed once and reused for every chi2 on that set.
 * The set's covariance is block diagonal like the dataset's, so it is factorised per block.
 */
export class PointSet {
  /** Per block: the positions in `indices` of its points (ascending by point) and its factor. */
  private readonly parts: { at: number[]; chol: SquareMatrix }[];
  constructor(
    readonly indices: readonly number[],
    cov: BlockMatrix,
  ) {
    const position = new Map<number, number>();
    indices.forEach((i, a) => {
      position.set(i, a);
    });
    this.parts = cov
      .restrict(indices)
      .map((p) => ({ at: p.points.map((i) => position.get(i)!), chol: cholesky(p.matrix) }));
  }

  get size(): number {
    return this.indices.length;
  }

  /**
   * chi2_S(T, D) = (T − D)_Sᵀ C_S⁻¹ (T − D)_S / N_S, with T and D over all points. The whitened
   * residuals are solved per block and summed in the order of `indices`: for ascending indices the
   * same numbers, bit for bit, as one triangular solve over the whole set.
   */
  chi2(t: ArrayLike<number>, d: ArrayLike<number>): number {
    const y = new Float64Array(this.indices.length);
    for (const p of this.parts) {
      const r = p.at.map((a) => t[this.indices[a]!]! - d[this.indices[a]!]!);
      solveLower(p.chol, r).forEach((v, k) => {
        y[p.at[k]!] = v;
      });
    }
    let s = 0;
    for (let a = 0; a < y.length; a++) s += y[a]! * y[a]!;
    return s / this.indices.length;
  }
}

/**
 * Inverse Cholesky factors of a point set, per block it touches: for each, the points (ascending)
 * and L_S⁻¹ over them (lower-triangular, row-major). The whitening of the trainers (train/whitening.ts,
 * webgpu/chi2.ts): ‖L_S⁻¹ r_S‖² = r_Sᵀ C_S⁻¹ r_S.
 */
export function inverseFactors(
  cov: BlockMatrix,
  points: Iterable<number>,
): { points: number[]; inverse: SquareMatrix }[] {
  return cov.restrict(points).map((p) => ({ points: p.points, inverse: invertLower(cholesky(p.matrix)) }));
}

/**
 * The trainers' block whitening matrix, [nBlocks][B][B] float32 (B the largest block): for each
 * point set and each block it touches, L_S⁻¹ over the set's points of that block, at their slots
 * (row = output slot, column = input slot; `transposed` swaps them for a right multiplication); zero
 * elsewhere. The sets must be disjoint (a member's training and validation points share one matrix).
 * The one home of this scatter for kernel/task.ts and train/whitening.ts.
 */
export function blockWhitening(cov: BlockMatrix, sets: Iterable<number>[], transposed = false): Float32Array {
  const B = cov.maxBlockSize;
  const { blockOf, slot } = cov;
  const out = new Float32Array(cov.nBlocks * B * B);
  if (cov.isDiagonal) {
    // one point per block: L⁻¹ = 1/σ, the number the factorisation below gives, without its per-block
    // restriction and matrices (0.7 s per member for 32,000 points; a stack of 1,000 took minutes)
    for (const set of sets)
      for (const i of set) {
        const v = cov.variance(i);
        if (!(v > 0) || !Number.isFinite(v)) throw new NotPositiveDefiniteError(0, v);
        out[blockOf[i]!] = 1 / Math.sqrt(v);
      }
    return out;
  }
  for (const set of sets)
    for (const { points, inverse } of inverseFactors(cov, set)) {
      const at = blockOf[points[0]!]! * B * B;
      const m = points.length;
      for (let a = 0; a < m; a++)
        for (let c = 0; c <= a; c++) {
          const row = slot[points[a]!]!;
          const col = slot[points[c]!]!;
          out[at + (transposed ? col * B + row : row * B + col)] = inverse.data[a * m + c]!;
        }
    }
  return out;
}
