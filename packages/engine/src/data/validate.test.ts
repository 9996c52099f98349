import { describe, expect, it } from "vitest";
import type { DatasetJson } from "./dataset.ts";
import { DatasetLimitError, DEFAULT_DATASET_LIMITS } from "./limits.ts";
import { validateDataset } from "./validate.ts";

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
});
