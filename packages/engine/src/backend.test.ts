import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { selectBackend } from "./backend.ts";

describe("selectBackend", () => {
  it("honours an available preference and reports the active backend", async () => {
    expect(await selectBackend("cpu")).toBe("cpu");
    expect(tf.getBackend()).toBe("cpu");
  });

  it("falls back to the fastest backend present when the preferred one cannot start", async () => {
    // tfjs-node-gpu and tfjs-backend-webgpu are not installed here: wasm is the fastest present
    expect(await selectBackend("tensorflow")).toBe("wasm");
    expect(await selectBackend()).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
  });
});
