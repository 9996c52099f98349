import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { DatasetError } from "../data/dataset.ts";
import { DEFAULT_DATASET_LIMITS } from "../data/limits.ts";
import { NpyError, readNpy, readNpz, writeNpy, writeNpz } from "../data/npy.ts";
import { prepareTheoryOffThread } from "../data/validate.ts";
import { checkTheory } from "./theory.ts";
import { theoryFromNpyFiles, theoryFromNpz } from "./theoryArrays.ts";
import { syntheticTheory } from "./theorySynthetic.ts";
import { prepareTheoryUpload, TheoryUploadError } from "./theoryUpload.ts";

const fixture = (f: string) =>
  new Uint8Array(readFileSync(new URL(`../data/fixtures/${f}`, import.meta.url)));
const limits = { maxElements: 1000, maxEntries: 10, maxInflatedBytes: 100_000 };

describe("NumPy readers", () => {
  it("read numpy's own .npy and .npz (stored and deflated, int64, float32 in Fortran order)", () => {
    const a = readNpy(fixture("small.npy"), "small", limits);
    expect(a.shape).toEqual([3, 4]);
    expect(Array.from(a.data)).toEqual(Array.from({ length: 12 }, (_, i) => i / 8));
    for (const f of ["small.npz", "small_compressed.npz"]) {
      const z = readNpz(fixture(f), limits);
      expect([...z.keys()].sort()).toEqual(["fortran", "grid", "subsets/0/values"]);
      expect(Array.from(z.get("grid")!.data)).toEqual(Array.from(a.data));
      expect(Array.from(z.get("subsets/0/values")!.data)).toEqual([1, -2, 3]);
      expect(z.get("fortran")!.shape).toEqual([2, 3]);
      expect(Array.from(z.get("fortran")!.data)).toEqual([0, 1, 2, 3, 4, 5]);
    }
  });

  it("refuse oversize arrays and archives before allocating or inflating, naming the array", () => {
    expect(() => readNpy(fixture("small.npy"), "grid", { maxElements: 11 })).toThrow(
      /^grid: shape \(3, 4\) has more than 11 elements/,
    );
    expect(() => readNpz(fixture("small_compressed.npz"), { ...limits, maxInflatedBytes: 300 })).toThrow(
      /inflates to more than 300 bytes/,
    );
    expect(() => readNpz(fixture("small.npz"), { ...limits, maxEntries: 2 })).toThrow(
      /^npz: 3 entries, at most 2/,
    );
    // a header that lies about the shape
    const lie = writeNpy([2, 2], [1, 2, 3, 4]).slice(0, -8);
    expect(() => readNpy(lie, "subsets/0/fk", limits)).toThrow(
      /^subsets\/0\/fk: 24 data bytes, shape \(2, 2\)/,
    );
    expect(() => readNpy(new Uint8Array(20), "x", limits)).toThrow(NpyError);
    // an entry whose deflated stream is bigger than it declares (a zip bomb's trick)
    const z = writeNpz({ grid: { shape: [50], data: new Array(50).fill(0) } });
    const view = new DataView(z.buffer);
    const cd = z.length - 22 - (46 + "grid.npy".length);
    view.setUint32(cd + 24, 100, true);
    expect(() => readNpz(z, limits)).toThrow(/^grid: does not inflate to its declared 100 bytes/);
  });
});

describe("theory from NumPy arrays", () => {
  const src = syntheticTheory({ subsets: 3, pointsPerSubset: 5, gridPoints: 12 });
  const { grid, subsets, positivity, truthOutputs, ...rest } = src;
  const meta = {
    ...rest,
    subsets: subsets.map((s) => ({
      name: s.name,
      alwaysFitted: s.alwaysFitted,
      normalisation: s.normalisation,
    })),
    positivity: positivity!.map((p) => ({ name: p.name })),
  };
  const G = grid.length;
  const arrays: Record<string, { shape: number[]; data: number[] }> = {
    grid: { shape: [G, 2], data: grid.flat() },
    truthOutputs: { shape: [G, 3], data: truthOutputs!.flat() },
  };
  subsets.forEach((s, i) => {
    // FK as [N, G, F]: the row-major flattening is the index g·F + f
    arrays[`subsets/${i}/fk`] = { shape: [s.values.length, G, 3], data: (s.fk as number[][]).flat() };
    for (const f of ["values", "stat", "truth", "kinematics"] as const)
      arrays[`subsets.${i}.${f}`] = { shape: [s.values.length], data: s[f]! };
  });
  positivity!.forEach((p, j) => {
    arrays[`positivity/${j}/fk`] = { shape: [p.fk.length, G * 3], data: (p.fk as number[][]).flat() };
  });

  it("round-trips: .npz and .npy files give the JSON theory's numbers", () => {
    const want = checkTheory(src);
    for (const theory of [
      theoryFromNpz(meta, writeNpz(arrays)),
      theoryFromNpyFiles(
        meta,
        Object.fromEntries(Object.entries(arrays).map(([k, a]) => [k, writeNpy(a.shape, a.data)])),
      ),
    ]) {
      const got = checkTheory(theory);
      expect(Array.from(got.fk)).toEqual(Array.from(want.fk));
      expect(got.datasetJson).toEqual(want.datasetJson);
      expect(got.source.grid).toEqual(want.source.grid);
      expect(got.positivity.map((p) => Array.from(p.fk))).toEqual(
        want.positivity.map((p) => Array.from(p.fk)),
      );
    }
  });

  it("refuses bad arrays by name and index", () => {
    const bad = structuredClone(arrays);
    bad["subsets/1/fk"]!.data[7] = Number.NaN;
    expect(() => checkTheory(theoryFromNpz(meta, writeNpz(bad)))).toThrow(
      /^subsets\.1\.fk\.0\.7: must be a finite number/,
    );
    const wrong = structuredClone(arrays);
    wrong["subsets/2/fk"] = { shape: [5, G, 2], data: new Array(5 * G * 2).fill(0) };
    expect(() => checkTheory(theoryFromNpz(meta, writeNpz(wrong)))).toThrow(
      /^subsets\.2\.fk\.0: has 24 entries, expected grid rows × outputs = 36/,
    );
    expect(() =>
      theoryFromNpz(meta, writeNpz({ ...arrays, "subsets/0/colour": { shape: [1], data: [1] } })),
    ).toThrow(/^subsets\/0\/colour: unknown field "colour"/);
    expect(() =>
      theoryFromNpz(
        meta,
        writeNpz({ ...arrays, "subsets/0/values": { shape: [5, 1], data: [1, 2, 3, 4, 5] } }),
      ),
    ).toThrow(/^subsets\/0\/values: shape \(5, 1\): expected 1 dimension/);
    expect(() =>
      theoryFromNpz(meta, writeNpz(arrays), {
        ...DEFAULT_DATASET_LIMITS,
        maxGridPoints: 1,
        maxTheoryPoints: 1,
      }),
    ).toThrow(/^grid: shape \(12, 2\) has more than 14 elements/);
  });
});

describe("a theory upload in the validation worker (prepareTheoryOffThread)", () => {
  const src = syntheticTheory({ subsets: 3, pointsPerSubset: 5, gridPoints: 8, level: 1 });
  const G = src.grid.length;
  const { grid, subsets, positivity: _p, truthOutputs: _t, ...rest } = src;
  const meta = { ...rest, subsets: subsets.map((x) => ({ name: x.name, stat: x.stat, values: x.values })) };
  const arrays = Object.fromEntries([
    ["grid", { shape: [G, 2], data: grid.flat() }],
    // float32, stored (np.savez): read into float64 exactly
    ...subsets.map((x, i) => [
      `subsets/${i}/fk`,
      { shape: [5, G, 3], data: (x.fk as number[][]).flat(), dtype: "<f4" as const },
    ]),
  ]);

  it("answers what the same call answers inline: the JSON to store (bytes) and the summary", async () => {
    const npz = writeNpz(arrays, { deflate: false });
    const inline = prepareTheoryUpload({ meta, npz }, DEFAULT_DATASET_LIMITS);
    const off = await prepareTheoryOffThread({ meta, npz }, DEFAULT_DATASET_LIMITS);
    expect(off.summary).toEqual(inline.summary);
    expect(Buffer.from(off.json).equals(Buffer.from(inline.json))).toBe(true);
    const stored = JSON.parse(Buffer.from(off.json).toString("utf8"));
    expect(stored.subsets[2].fk[4][G * 3 - 1]).toBe(
      Math.fround((subsets[2]!.fk as number[][])[4]![G * 3 - 1]!),
    );
    expect(off.summary.nPoints).toBe(15);
    // moved rather than copied when asked: the npz as a view into a larger body, which is detached
    const body = new Uint8Array(128 * 1024 + npz.length);
    body.set(npz, 1000);
    const view = body.subarray(1000, 1000 + npz.length);
    const moved = await prepareTheoryOffThread({ meta, npz: view }, DEFAULT_DATASET_LIMITS, {
      transfer: true,
    });
    expect(Buffer.from(moved.json).equals(Buffer.from(inline.json))).toBe(true);
    expect([body.byteLength, view.byteLength]).toEqual([0, 0]);
  });

  it("refusals keep their stage, field and path; a budget exceeded names the theory", async () => {
    const bad = {
      ...arrays,
      "subsets/1/fk": { ...arrays["subsets/1/fk"]!, data: [...arrays["subsets/1/fk"]!.data] },
    };
    bad["subsets/1/fk"]!.data[3 * G * 3 + 4] = Number.NaN;
    const refused = (p: Promise<unknown>) =>
      p.then(
        () => null,
        (e: unknown) => e as TheoryUploadError,
      );
    const e1 = await refused(prepareTheoryOffThread({ meta, npz: writeNpz(bad) }));
    expect(e1).toBeInstanceOf(TheoryUploadError);
    expect([e1!.stage, (e1!.cause as DatasetError).path]).toEqual(["theory", ["subsets", 1, "fk", 3, 4]]);
    const e2 = await refused(prepareTheoryOffThread({ meta, npz: new Uint8Array([1, 2, 3]) }));
    expect([e2!.stage, e2!.field, e2!.cause]).toEqual(["source", ["npz", "npz"], expect.any(NpyError)]);
    const e3 = await refused(
      prepareTheoryOffThread({ meta, npz: writeNpz(arrays) }, { ...DEFAULT_DATASET_LIMITS, validationMs: 1 }),
    );
    expect(e3!.stage).toBe("theory");
    expect(e3!.message).toMatch(/validation exceeded its budget of 0.001 s/);
  });
});
