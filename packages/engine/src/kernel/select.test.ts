import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { getWebGpu } from "../webgpu/device.ts";
import { loadCpuKernelBackend, selectTrainer } from "./select.ts";

async function gpuHere(): Promise<boolean> {
  if (!["/dev/nvidia0", "/dev/kfd", "/dev/dri"].some((p) => existsSync(p))) return false;
  return getWebGpu("vulkan").then(
    (ctx) => !ctx.isCpu,
    () => false,
  );
}

describe("selectTrainer", () => {
  it("auto takes the fastest kernel present: a GPU, else the CPU kernel, else TF.js", async () => {
    const cpu = await loadCpuKernelBackend();
    const want = (await gpuHere()) ? "webgpu" : cpu && (await cpu.available()) ? "cpu" : "tfjs";
    const t = await selectTrainer("auto");
    expect(t.kind).toBe(want);
    expect(t.name.startsWith(want)).toBe(true);
  });

  it("an explicit choice is honoured, or refused with the reason when it cannot run here", async () => {
    expect((await selectTrainer("tfjs")).kind).toBe("tfjs");
    // CI has Mesa llvmpipe: the WGSL kernels always run, on a GPU when there is one
    const webgpu = await selectTrainer("webgpu");
    expect(webgpu.kind).toBe("webgpu");
    expect(webgpu.name).toMatch(/^webgpu \((vulkan|opengles): /);
    // the committed kernel.wasm loads everywhere; the name says which build runs (the runner shows it)
    const cpu = await loadCpuKernelBackend();
    expect(cpu && (await cpu.available())).toBe(true);
    const t = await selectTrainer("cpu");
    expect(t.kind).toBe("cpu");
    expect(t.name).toMatch(/^cpu \((native avx2\+fma|wasm relaxed-simd|wasm simd128), \d+ threads\)$/);
  });
});
