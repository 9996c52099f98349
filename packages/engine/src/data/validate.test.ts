import { describe, expect, it } from "vitest";
import { buildDataset, type DatasetJson } from "./dataset.ts";
import { DatasetLimitError, DEFAULT_DATASET_LIMITS } from "./limits.ts";
import { buildDatasetOffThread, validateDataset } from "./validate.ts";

/** One sub-dataset of m points with a normalisation uncertainty: one dense m × m block. */
const correlated = (m: number, normalisation = 0.03): DatasetJson => ({
  subsets: [
    {
      name: "dense",
      inputs: Array.from({ length: m }, (_, i) => [i / m]),
      values: Array.from({ length: m }, (_, i) => 1 + i / m),
      stat: Array.from({ length: m }, () => 0.01),
      normalisation,
    },
  ],
});

describe("dataset validation off the event loop", () => {
  it("factorises in a worker thread past the inline threshold, and answers the same", async () => {
    const inline = await validateDataset(correlated(5));
    expect(inline.offThread).toBe(false);
    const off = await validateDataset(correlated(5), DEFAULT_DATASET_LIMITS, ["data"], 0);
    expect(off.offThread).toBe(true);
    expect(off.json).toEqual(inline.json);
  }, 60_000);

  it("a worker's refusal names the field: a non-positive-definite block, a limit", async () => {
    const bad: DatasetJson = {
      subsets: [{ name: "a", inputs: [[1], [2]], values: [1, 2] }],
      covariance: [
        [1, 2],
        [2, 1],
      ],
    };
    await expect(validateDataset(bad, DEFAULT_DATASET_LIMITS, ["data"], 0)).rejects.toThrow(
      /^data\.covariance: covariance is not symmetric positive definite/,
    );
    const limits = { ...DEFAULT_DATASET_LIMITS, maxBlockPoints: 4 };
    await expect(validateDataset(correlated(5), limits, ["data"], 0)).rejects.toBeInstanceOf(
      DatasetLimitError,
    );
  }, 60_000);

  it("past its time budget the worker is ended and the covariance field is named", async () => {
    const limits = { ...DEFAULT_DATASET_LIMITS, validationMs: 1 };
    await expect(validateDataset(correlated(600), limits, ["data"])).rejects.toThrow(
      /^data\.subsets: validation exceeded its budget/,
    );
  }, 60_000);

  it("the event loop keeps turning while a large block is factorised", async () => {
    let ticks = 0;
    let done = false;
    const validation = validateDataset(correlated(1200)).then((v) => {
      done = true;
      return v;
    });
    // a chain of timers: each turn of the loop while the validation is running counts one
    const ticked = (async () => {
      while (!done && ticks < 3) {
        await new Promise((r) => setTimeout(r, 5));
        if (!done) ticks++;
      }
    })();
    const v = await validation;
    await ticked;
    expect(v.offThread).toBe(true);
    expect(ticks).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it("the runner's build: factors from two threads' shares equal the one-thread build, bit for bit", async () => {
    // five correlated sub-datasets of different sizes (split over two threads) and stat-only points
    const json: DatasetJson = {
      subsets: [
        ...[40, 7, 25, 60, 3].map((m, b) => ({
          ...correlated(m, 0.02 + b / 100).subsets[0]!,
          name: `e${b}`,
        })),
        { name: "stat", inputs: [[0.5], [0.6]], values: [1, 2], stat: [0.1, 0.2] },
      ],
    };
    const inline = buildDataset(json);
    const off = await buildDatasetOffThread(json);
    expect(off.chol.nBlocks).toBe(7);
    expect(Array.from(off.chol.entries)).toEqual(Array.from(inline.chol.entries));
    expect(Array.from(off.cov.entries)).toEqual(Array.from(inline.cov.entries));
  }, 60_000);

  it("of two failing blocks on different threads, the first one's sub-dataset is named", async () => {
    // one systematic and no statistical errors: a rank-one block, its second pivot exactly zero
    const rankOne = (name: string, m: number) => ({
      name,
      inputs: Array.from({ length: m }, (_, i) => [i / m]),
      values: Array.from({ length: m }, () => 1),
      sys: Array.from({ length: m }, () => [0.5]),
    });
    const json: DatasetJson = {
      subsets: [
        { ...correlated(30).subsets[0]!, name: "ok" },
        rankOne("first", 8),
        { ...correlated(20).subsets[0]!, name: "fine" },
        rankOne("second", 50),
      ],
    };
    await expect(buildDatasetOffThread(json, DEFAULT_DATASET_LIMITS, ["data"])).rejects.toThrow(
      /^data\.subsets\.1: covariance is not symmetric positive definite/,
    );
    await expect(validateDataset(json, DEFAULT_DATASET_LIMITS, ["data"], 0)).rejects.toThrow(
      /^data\.subsets\.1: /,
    );
  }, 60_000);
});
