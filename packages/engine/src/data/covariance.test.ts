import { describe, expect, it } from "vitest";
import { cholesky, mahalanobis, subMatrix } from "../linalg.ts";
import { deriveSeed, Stream, TrialRng } from "../rng.ts";
import { randomSpd, referenceChi2, testRandom } from "../testing/reference.ts";
import { BlockMatrix, blockWhitening, PointSet } from "./covariance.ts";
import { buildDataset, type DatasetJson } from "./dataset.ts";
import { DatasetLimitError, DEFAULT_DATASET_LIMITS, datasetLimitsFromEnv } from "./limits.ts";
import { pseudoData } from "./replicas.ts";

/** The textbook column Cholesky the engine used before (the dense reference, not shared code). */
function denseCholesky(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j]!;
    for (let k = 0; k < j; k++) d -= l[j * n + k]! * l[j * n + k]!;
    const ljj = Math.sqrt(d);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      l[i * n + j] = s / ljj;
    }
  }
  return l;
}

/** A dense n × n covariance whose points belong to `nb` interleaved blocks (point i in block i mod nb). */
function interleavedBlocks(n: number, nb: number, seed: number): Float64Array {
  const members = Array.from({ length: nb }, (_, b) =>
    Array.from({ length: n }, (_, i) => i).filter((i) => i % nb === b),
  );
  const c = new Float64Array(n * n);
  members.forEach((pts, b) => {
    const m = pts.length;
    const block = randomSpd(m, 10 ** (b % 5), seed + b);
    pts.forEach((i, x) => {
      pts.forEach((j, y) => {
        c[i * n + j] = block[x * m + y]!;
      });
    });
  });
  return c;
}

describe("block covariance", () => {
  it("the tiled Cholesky is bit-identical to the textbook loop (odd and even sizes)", () => {
    for (const n of [1, 2, 3, 7, 16, 17, 33, 40, 63, 70]) {
      const a = randomSpd(n, 1e4, n);
      expect(Array.from(cholesky({ n, data: a }).data)).toEqual(Array.from(denseCholesky(a, n)));
    }
  });

  it("splits a dense covariance into its blocks; the block factor is the dense factor exactly", () => {
    const n = 37;
    const dense = interleavedBlocks(n, 4, 3);
    const cov = BlockMatrix.fromSquare({ n, data: dense });
    expect(cov.nBlocks).toBe(4);
    expect(Array.from(cov.blockPoints(1))).toEqual(Array.from({ length: 9 }, (_, k) => 1 + 4 * k));
    expect(Array.from(cov.toDense().data)).toEqual(Array.from(dense));
    expect(Array.from(cov.factor().toDense().data)).toEqual(Array.from(denseCholesky(dense, n)));
  });

  it("chi2 per block agrees with a dense float64 solve to 1e-12 relative", () => {
    const n = 45;
    const dense = interleavedBlocks(n, 5, 11);
    const cov = BlockMatrix.fromSquare({ n, data: dense });
    const rnd = testRandom(8);
    for (let trial = 0; trial < 5; trial++) {
      const idx = Array.from({ length: n }, (_, i) => i).filter(() => rnd.uniform() < 0.7);
      const t = Array.from({ length: n }, () => rnd.normal());
      const d = Array.from({ length: n }, () => rnd.normal());
      const got = new PointSet(idx, cov).chi2(t, d);
      const want = referenceChi2(dense, n, idx, t, d);
      expect(Math.abs(got - want) / want).toBeLessThan(1e-12);
      // and bit for bit the former dense path: one factor and one solve over the whole set
      const r = idx.map((i) => t[i]! - d[i]!);
      expect(got).toBe(mahalanobis(cholesky(subMatrix({ n, data: dense }, idx)), r) / idx.length);
    }
  });

  it("a dataset's block form equals the dense build: stat-only points are 1 × 1 blocks", () => {
    const json: DatasetJson = {
      subsets: [
        { name: "A", inputs: [[1], [2], [3]], values: [1, 2, 3], stat: [0.1, 0.2, 0.3], normalisation: 0.05 },
        { name: "B", inputs: [[4], [5]], values: [4, 5], stat: [0.4, 0.5] },
        {
          name: "C",
          inputs: [[6], [7], [8]],
          values: [6, 7, 8],
          stat: [0.6, 0.7, 0.8],
          // the third point has no correlated shift: its own block inside the sub-dataset
          sys: [[0.1], [0.3], [0]],
        },
      ],
    };
    const ds = buildDataset(json);
    expect(ds.cov.nBlocks).toBe(1 + 2 + 2);
    expect(ds.cov.maxBlockSize).toBe(3);
    // the former dense build, entry by entry
    const n = 8;
    const dense = new Float64Array(n * n);
    const stat = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
    const v = [1, 2, 3, 4, 5, 6, 7, 8];
    const sys = [0, 0, 0, 0, 0, 0.1, 0.3, 0];
    for (let i = 0; i < n; i++) {
      dense[i * n + i]! += stat[i]! * stat[i]!;
      for (let j = 0; j < n; j++) {
        if (i < 3 && j < 3) dense[i * n + j]! += 0.05 * 0.05 * v[i]! * v[j]!;
        if (i >= 5 && j >= 5) dense[i * n + j]! += sys[i]! * sys[j]!;
      }
    }
    expect(Array.from(ds.cov.toDense().data)).toEqual(Array.from(dense));
    expect(Array.from(ds.chol.toDense().data)).toEqual(Array.from(denseCholesky(dense, n)));
    // pseudo-data: D + L z with the row summed over every point as before, bit for bit
    const l = denseCholesky(dense, n);
    const rng = new TrialRng(deriveSeed(4, Stream.pseudoData, 2));
    const z = Array.from({ length: n }, () => rng.normal());
    const want = Array.from({ length: n }, (_, i) => {
      let s = ds.central[i]!;
      for (let k = 0; k <= i; k++) s += l[i * n + k]! * z[k]!;
      return s;
    });
    expect(Array.from(pseudoData(ds, 4, 2))).toEqual(want);
  });

  it("whitens a diagonal covariance by 1/σ at the sets' points, zero at the others (the factor's inverse)", () => {
    const variances = [0.25, 4, 1e-6, 9, 2.5, 1];
    const cov = BlockMatrix.diagonal(variances);
    expect(cov.isDiagonal).toBe(true);
    const w = blockWhitening(cov, [[0, 3, 4], [2]]);
    // the dense route: L⁻¹ of the 1 × 1 block is 1 / its Cholesky factor
    const want = variances.map((v, i) =>
      i === 1 || i === 5 ? 0 : Math.fround(1 / cholesky({ n: 1, data: Float64Array.of(v) }).data[0]!),
    );
    expect(Array.from(w)).toEqual(want);
    expect(() => blockWhitening(BlockMatrix.diagonal([1, 0]), [[0, 1]])).toThrow(/positive/i);
  });

  it("a non-positive-definite block is refused naming its sub-dataset, or `covariance`", () => {
    const json: DatasetJson = {
      subsets: [
        { name: "A", inputs: [[1], [2]], values: [1, 2], stat: [1, 1] },
        { name: "B", inputs: [[3], [4]], values: [3, 4], sys: [[1], [1]] },
      ],
    };
    expect(() => buildDataset(json)).toThrow(/^subsets\.1: covariance is not symmetric positive definite/);
    const cov = [
      [1, 0, 0],
      [0, 1, 2],
      [0, 2, 1],
    ];
    expect(() =>
      buildDataset({ subsets: [{ name: "A", inputs: [[1], [2], [3]], values: [1, 2, 3] }], covariance: cov }),
    ).toThrow(/^covariance: covariance is not symmetric positive definite \(Cholesky pivot 2/);
  });

  it("limits refuse before anything is allocated, naming the field", () => {
    const limits = { ...DEFAULT_DATASET_LIMITS, maxPoints: 5, maxBlockPoints: 3, maxSubsets: 2 };
    const sub = (name: string, n: number, extra: object = {}) => ({
      name,
      inputs: Array.from({ length: n }, (_, i) => [i]),
      values: Array.from({ length: n }, () => 1),
      stat: Array.from({ length: n }, () => 1),
      ...extra,
    });
    const refused = (json: unknown) => {
      try {
        buildDataset(json, ["data"], limits);
      } catch (e) {
        return e instanceof DatasetLimitError ? `${e.path.join(".")}|${e.limit}` : `other: ${e}`;
      }
      return "accepted";
    };
    expect(refused({ subsets: [sub("a", 6)] })).toBe("data.subsets|maxPoints");
    expect(refused({ subsets: [sub("a", 4, { normalisation: 0.1 })] })).toBe("data.subsets|maxBlockPoints");
    // stat-only points are independent: four of them are four 1 × 1 blocks, within the block limit
    expect(refused({ subsets: [sub("a", 4)] })).toBe("accepted");
    expect(refused({ subsets: [sub("a", 1), sub("b", 1), sub("c", 1)] })).toBe("data.subsets|maxSubsets");
    const eye = (n: number) =>
      Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0.1)));
    expect(refused({ subsets: [{ ...sub("a", 4), stat: undefined }], covariance: eye(4) })).toBe(
      "data.covariance|maxBlockPoints",
    );
    expect(refused({ nOutputs: 65, subsets: [sub("a", 1)] })).toBe("data.nOutputs|maxOutputs");
  });

  it("limits come from the environment, naming a bad variable", () => {
    expect(datasetLimitsFromEnv({ HENS_DATASET_MAX_POINTS: "20" }).maxPoints).toBe(20);
    expect(datasetLimitsFromEnv({}).maxBlockPoints).toBe(DEFAULT_DATASET_LIMITS.maxBlockPoints);
    expect(() => datasetLimitsFromEnv({ HENS_DATASET_MAX_BLOCK_POINTS: "many" })).toThrow(
      /HENS_DATASET_MAX_BLOCK_POINTS/,
    );
  });
});
