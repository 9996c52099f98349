import { describe, expect, it } from "vitest";
import { buildTabularTask, csvToDatasetJson } from "../tasks/tabular.ts";
import { buildDataset, type DatasetJson } from "./dataset.ts";
import { assignFolds, foldPoints, pseudoData, trainingSplit } from "./replicas.ts";

const base = (): DatasetJson => ({
  name: "toy",
  subsets: [
    {
      name: "A",
      inputs: [[0.1], [0.2], [0.3]],
      values: [1, 2, 3],
      stat: [0.1, 0.2, 0.3],
      normalisation: 0.05,
    },
    {
      name: "B",
      inputs: [[0.4], [0.5]],
      values: [4, 5],
      stat: [0.4, 0.5],
      sys: [
        [0.1, 0.2],
        [0.3, -0.1],
      ],
    },
    { name: "C", inputs: [[0.6], [0.7]], values: [6, 7], stat: [0.6, 0.7], alwaysFitted: true },
    { name: "D", inputs: [[0.8], [0.9]], values: [8, 9], stat: [0.8, 0.9] },
  ],
});

describe("datasets", () => {
  it("builds C = diag(stat²) + Σ βᵀβ + ε² D Dᵀ per sub-dataset", () => {
    const ds = buildDataset(base());
    const c = (i: number, j: number) => ds.cov.entry(i, j);
    expect(ds.nPoints).toBe(9);
    expect(c(0, 0)).toBeCloseTo(0.01 + 0.0025 * 1, 14);
    expect(c(0, 2)).toBeCloseTo(0.0025 * 3, 14);
    expect(c(3, 4)).toBeCloseTo(0.1 * 0.3 + 0.2 * -0.1, 14);
    expect(c(3, 3)).toBeCloseTo(0.16 + 0.01 + 0.04, 14);
    expect(c(0, 3)).toBe(0);
  });

  it.each([
    ["a NaN value", (d: DatasetJson) => (d.subsets[0]!.values[1] = Number.NaN), /subsets\.0\.values\.1/],
    ["a ragged input row", (d: DatasetJson) => (d.subsets[1]!.inputs[0] = [1, 2]), /subsets\.1\.inputs\.0/],
    ["a length mismatch", (d: DatasetJson) => d.subsets[0]!.stat!.pop(), /subsets\.0\.stat/],
    ["a duplicate name", (d: DatasetJson) => (d.subsets[1]!.name = "A"), /subsets\.1\.name: duplicate/],
    ["a negative error", (d: DatasetJson) => (d.subsets[2]!.stat![0] = -1), /subsets\.2\.stat\.0/],
    ["missing errors", (d: DatasetJson) => delete d.subsets[3]!.stat, /subsets\.3\.stat/],
  ])("rejects %s with the path of the field", (_, mutate, pattern) => {
    const d = base();
    mutate(d);
    expect(() => buildDataset(d)).toThrow(pattern);
  });

  it("rejects a covariance that is not symmetric or not positive definite", () => {
    const d = base();
    const n = 9;
    const eye: number[][] = Array.from({ length: n }, (_, i) =>
      Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)),
    );
    eye[0]![1] = 0.5;
    expect(() => buildDataset({ ...d, covariance: eye })).toThrow(
      /covariance\.0\.1: not symmetric|covariance\.1\.0/,
    );
    eye[1]![0] = 0.5;
    eye[0]![1] = 0.5;
    eye[2]![2] = -1;
    expect(() => buildDataset({ ...d, covariance: eye })).toThrow(
      /covariance: covariance is not symmetric positive definite/,
    );
  });

  it("pseudo-data has the data covariance (sample check) and is seeded per replica", () => {
    const ds = buildDataset(base());
    const R = 4000;
    const reps = Array.from({ length: R }, (_, r) => pseudoData(ds, 5, r));
    const means = Array.from({ length: 9 }, (_, i) => reps.reduce((a, p) => a + p[i]!, 0) / R);
    const mean = (i: number) => means[i]!;
    const cov = (i: number, j: number) =>
      reps.reduce((a, p) => a + (p[i]! - means[i]!) * (p[j]! - means[j]!), 0) / R;
    expect(mean(0)).toBeCloseTo(1, 1);
    // Frobenius distance of the sample covariance from C: expected ~0.04 at R = 4000
    let diff = 0;
    let norm = 0;
    for (let i = 0; i < 9; i++)
      for (let j = 0; j < 9; j++) {
        diff += (cov(i, j) - ds.cov.entry(i, j)) ** 2;
        norm += ds.cov.entry(i, j) ** 2;
      }
    expect(Math.sqrt(diff / norm)).toBeLessThan(0.1);
    expect(pseudoData(ds, 5, 7)).toEqual(reps[7]);
  });

  it("splits each sub-dataset per replica and keeps always-fitted sub-datasets out of folds", () => {
    const ds = buildDataset(base());
    const m0 = trainingSplit(ds, 1, 0);
    const m1 = trainingSplit(ds, 1, 1);
    expect(m0.reduce((a, b) => a + b, 0)).toBe(2 + 1 + 1 + 1);
    expect(trainingSplit(ds, 1, 0)).toEqual(m0);
    expect(
      Array.from(m0).join("") === Array.from(m1).join("") &&
        Array.from(trainingSplit(ds, 1, 2)).join("") === Array.from(m0).join(""),
    ).toBe(false);
    const folds = assignFolds(ds, 3, 9);
    expect(folds.flat().sort()).toEqual([0, 1, 3]);
    expect(foldPoints(ds, [2])).toEqual([5, 6]);
    expect(() => assignFolds(ds, 4, 9)).toThrow(/folds/);
  });

  it("reads tabular CSV, naming the bad cell", () => {
    const csv = "x,y,dy,exp\n0.1,1.0,0.1,a\n0.2,2.0,0.1,a\n0.3,3.0,0.2,b\n";
    const json = csvToDatasetJson({
      format: "csv",
      csv,
      inputs: ["x"],
      targets: ["y"],
      errors: ["dy"],
      subset: "exp",
    });
    const ds = buildDataset(json);
    expect(ds.subsets.map((s) => s.name)).toEqual(["a", "b"]);
    expect(Array.from(ds.central)).toEqual([1, 2, 3]);
    expect(() =>
      csvToDatasetJson({
        format: "csv",
        csv: csv.replace("2.0", "two"),
        inputs: ["x"],
        targets: ["y"],
        errors: ["dy"],
      }),
    ).toThrow(/line 3, column "y"/);
    expect(() =>
      csvToDatasetJson({ format: "csv", csv, inputs: ["z"], targets: ["y"], errors: ["dy"] }),
    ).toThrow(/inputs: column "z"/);
  });
  it("names the outputs after a CSV's target columns; numbers them only where none are given", () => {
    const csv = "x,F2,FL,dF2,dFL\n0.1,1.0,0.2,0.1,0.05\n0.2,1.1,0.3,0.1,0.05\n";
    const json = csvToDatasetJson({
      format: "csv",
      csv,
      inputs: ["x"],
      targets: ["F2", "FL"],
      errors: ["dF2", "dFL"],
    });
    expect(json.outputNames).toEqual(["F2", "FL"]);
    expect(buildTabularTask(json).outputNames).toEqual(["F2", "FL"]);
    const unnamed = { nOutputs: 2, subsets: [{ ...json.subsets[0]!, name: "a" }] };
    expect(buildTabularTask(unnamed).outputNames).toEqual(["output_0", "output_1"]);
    expect(() => buildDataset({ ...json, outputNames: ["F2"] })).toThrow(
      /outputNames: has 1 names for nOutputs 2/,
    );
  });
});
