/**
 * Device-neutral forms of a task's per-member constants, computed once on the host in float64 and
 * stored in float32: the whitening factors of each member's training and validation sets, and the
 * fixed preprocessing factor. Every kernel that does not build its own (TF.js uses
 * train/whitening.ts's tensors) reads these.
 */

import { blockWhitening } from "../data/covariance.ts";
import type { Task } from "../tasks/task.ts";
import type { Member } from "../train/members.ts";

/** The covariance's independent blocks (point indices) and the largest block size B. */
export interface WhiteningBlocks {
  blocks: number[][];
  B: number;
  /** Per point: its block and its slot within the block. */
  blockOf: Int32Array;
  slotOf: Int32Array;
}

export function whiteningBlocks(task: Task): WhiteningBlocks {
  const cov = task.dataset.cov;
  return { blocks: cov.blockList(), B: cov.maxBlockSize, blockOf: cov.blockOf, slotOf: cov.slot };
}

/**
 * Member m's whitening, [NB][B][B] (row = output slot, column = input slot): for each block, the
 * inverse Cholesky factor of the covariance restricted to the member's training points of that block
 * sits at the rows and columns of those points' slots, and the one of its validation points at
 * theirs (the two sets are disjoint, so they share one matrix); zero elsewhere, held-out points
 * included. With e = T − D in block slots, z = W e gives the whitened training residuals at training
 * slots and the validation ones at validation slots: chi2_train = Σ_{a ∈ train} z_a² / |train|.
 */
export function memberWhitening(task: Task, m: Member): Float32Array {
  return blockWhitening(task.dataset.cov, [m.train, m.validation]);
}

/**
 * Fixed preprocessing factor x^α (1−x)^β [G·F] (index g·F + f) from a member's float32 exponents
 * (`alpha`: offset of α in the parameter layout, β follows at alpha + F).
 */
export function fixedPrefactor(task: Task, params: Float32Array, alpha: number): Float32Array {
  const x = task.preprocessing!.x;
  const F = task.nOutputs;
  const out = new Float32Array(x.length * F);
  for (let g = 0; g < x.length; g++) {
    const lx = Math.fround(Math.log(x[g]!));
    const l1 = Math.fround(Math.log(1 - x[g]!));
    for (let f = 0; f < F; f++)
      out[g * F + f] = Math.exp(params[alpha + f]! * lx + params[alpha + F + f]! * l1);
  }
  return out;
}
