import * as tf from "@tensorflow/tfjs";
import { type BlockMatrix, blockWhitening } from "../data/covariance.ts";

/**
 * Per-member chi2 in the training graph. Each stacked member s has its own point set S_s (training or
 * validation points outside its held-out fold); chi2_s = ‖L_{S_s}⁻¹ (T_s − D_s)_{S_s}‖² / N_s.
 * The covariance's block structure (independent sub-datasets) is used: whitening is block diagonal,
 * so the cost is Σ_b n_b² per member instead of N². Masks are fixed-shape whitening matrices with
 * zeros outside S_s, never boolean gathers.
 */
export interface Whitener {
  /** Sum of squared whitened residuals per member, [S]; residual is [S, N]. */
  apply(residual: tf.Tensor2D): tf.Tensor1D;
  dispose(): void;
}

/**
 * Whitening factors of every member's point set, computed once in float64 and kept on the CPU;
 * `tensors(positions)` uploads those of a subset of members (the stack shrinks as replicas stop).
 */
export class WhiteningFactors {
  private readonly n: number;
  private readonly diagonal: boolean;
  private readonly nb: number;
  private readonly B: number;
  private readonly gatherIdx: Int32Array;
  private readonly inverseIdx: Int32Array;
  /** Per member: diagonal [N] or blocked [nb, B, B] (transposed whitening). */
  private readonly perMember: Float32Array[];

  constructor(cov: BlockMatrix, sets: number[][]) {
    const n = cov.n;
    this.n = n;
    const nb = cov.nBlocks;
    const B = cov.maxBlockSize;
    this.diagonal = B === 1;
    this.nb = nb;
    this.B = B;
    const { slot, blockOf } = cov;
    this.gatherIdx = new Int32Array(nb * B).fill(n); // n = the zero padding column
    for (let b = 0; b < nb; b++)
      cov.blockPoints(b).forEach((i, j) => {
        this.gatherIdx[b * B + j] = i;
      });
    this.inverseIdx = Int32Array.from({ length: n }, (_, i) => blockOf[i]! * B + slot[i]!);
    this.perMember = sets.map((set) => {
      if (this.diagonal) {
        const w = new Float32Array(n);
        for (const i of set) w[i] = 1 / Math.sqrt(cov.variance(i));
        return w;
      }
      return blockWhitening(cov, [set], true);
    });
  }
  /** Tensors for the members at these indices, in this order. */
  tensors(memberIdx: number[]): Whitener {
    const S = memberIdx.length;
    const per = this.perMember[0]!.length;
    const w = new Float32Array(S * per);
    memberIdx.forEach((m, p) => {
      w.set(this.perMember[m]!, p * per);
    });
    if (this.diagonal) {
      const wt = tf.tensor2d(w, [S, this.n]);
      return {
        apply: (r) => tf.sum(tf.square(tf.mul(r, wt)), 1) as tf.Tensor1D,
        dispose: () => wt.dispose(),
      };
    }
    const { nb, B } = this;
    const wt = tf.tensor3d(w, [S * nb, B, B]);
    const gi = tf.tensor1d(this.gatherIdx, "int32");
    // Each point appears once in the padded layout, so the gather's gradient is the inverse gather
    // (the wasm backend has no UnsortedSegmentSum for tfjs's generic gather gradient).
    const inverse = tf.tensor1d(this.inverseIdx, "int32");
    const pad = tf.zeros([S, 1]);
    const toBlocks = tf.customGrad(((r: tf.Tensor) => ({
      value: tf.gather(tf.concat([r as tf.Tensor2D, pad], 1), gi, 1),
      gradFunc: (dy: tf.Tensor) => tf.gather(dy, inverse, 1),
    })) as Parameters<typeof tf.customGrad>[0]);
    return {
      apply: (r) => {
        const g = (toBlocks(r) as tf.Tensor).reshape([S * nb, 1, B]) as tf.Tensor3D;
        return tf.sum(tf.square(tf.matMul(g, wt)).reshape([S, nb * B]), 1) as tf.Tensor1D;
      },
      dispose: () => tf.dispose([wt, gi, inverse, pad]),
    };
  }
}

export function buildWhitener(cov: BlockMatrix, sets: number[][]): Whitener {
  return new WhiteningFactors(cov, sets).tensors(sets.map((_, i) => i));
}
