/**
 * Random-forest regression for surrogate models and parameter importance: bootstrapped regression
 * trees, a random subset of features and a few random thresholds per split (extra-trees style, cheap
 * in JavaScript). Predictive variance follows the law of total variance over trees and leaves.
 */
import { SearchRng } from "../rng.ts";

interface Leaf {
  mean: number;
  variance: number;
}
interface Split {
  feature: number;
  threshold: number;
  left: Node;
  right: Node;
}
type Node = Leaf | Split;

export interface ForestOptions {
  trees?: number;
  minLeaf?: number;
  maxDepth?: number;
  /** Fraction of features tried at each split. */
  featureFraction?: number;
  thresholdsPerFeature?: number;
}

export class RandomForest {
  private readonly roots: Node[] = [];

  constructor(x: readonly number[][], y: readonly number[], seed: number, options: ForestOptions = {}) {
    const rng = new SearchRng(seed);
    const trees = options.trees ?? 50;
    const n = x.length;
    for (let t = 0; t < trees; t++) {
      const idx = Array.from({ length: n }, () => rng.int(n));
      this.roots.push(grow(x, y, idx, 0, rng, options));
    }
  }

  /** Mean and variance (between-tree spread plus mean within-leaf variance). */
  predict(point: readonly number[]): [mean: number, variance: number] {
    let sum = 0;
    let sumSq = 0;
    let within = 0;
    for (const root of this.roots) {
      const leaf = descend(root, point);
      sum += leaf.mean;
      sumSq += leaf.mean * leaf.mean;
      within += leaf.variance;
    }
    const k = this.roots.length;
    const mean = sum / k;
    return [mean, Math.max(sumSq / k - mean * mean + within / k, 1e-12)];
  }
}

function descend(node: Node, point: readonly number[]): Leaf {
  let current = node;
  while ("feature" in current)
    current = point[current.feature]! <= current.threshold ? current.left : current.right;
  return current;
}

function leafOf(y: readonly number[], idx: readonly number[]): Leaf {
  let s = 0;
  for (const i of idx) s += y[i]!;
  const mean = s / idx.length;
  let v = 0;
  for (const i of idx) v += (y[i]! - mean) ** 2;
  return { mean, variance: v / idx.length };
}

function grow(
  x: readonly number[][],
  y: readonly number[],
  idx: number[],
  depth: number,
  rng: SearchRng,
  o: ForestOptions,
): Node {
  const minLeaf = o.minLeaf ?? 2;
  const leaf = leafOf(y, idx);
  if (idx.length < 2 * minLeaf || depth >= (o.maxDepth ?? 16) || leaf.variance === 0) return leaf;
  const dims = x[0]!.length;
  const tryFeatures = Math.max(1, Math.round(dims * (o.featureFraction ?? 0.6)));
  const features = rng.shuffle(Array.from({ length: dims }, (_, i) => i)).slice(0, tryFeatures);
  let best: { feature: number; threshold: number; score: number } | undefined;
  for (const f of features) {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const i of idx) {
      lo = Math.min(lo, x[i]![f]!);
      hi = Math.max(hi, x[i]![f]!);
    }
    if (hi <= lo) continue;
    for (let k = 0; k < (o.thresholdsPerFeature ?? 8); k++) {
      const threshold = lo + (hi - lo) * rng.uniform();
      let nl = 0;
      let sl = 0;
      let sql = 0;
      let nr = 0;
      let sr = 0;
      let sqr = 0;
      for (const i of idx) {
        const v = y[i]!;
        if (x[i]![f]! <= threshold) {
          nl++;
          sl += v;
          sql += v * v;
        } else {
          nr++;
          sr += v;
          sqr += v * v;
        }
      }
      if (nl < minLeaf || nr < minLeaf) continue;
      const score = sql - (sl * sl) / nl + sqr - (sr * sr) / nr;
      if (!best || score < best.score) best = { feature: f, threshold, score };
    }
  }
  if (!best) return leaf;
  const left = idx.filter((i) => x[i]![best.feature]! <= best.threshold);
  const right = idx.filter((i) => x[i]![best.feature]! > best.threshold);
  return {
    feature: best.feature,
    threshold: best.threshold,
    left: grow(x, y, left, depth + 1, rng, o),
    right: grow(x, y, right, depth + 1, rng, o),
  };
}
