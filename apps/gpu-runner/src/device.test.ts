import { expect, it } from "vitest";
import { detectDevice, parseNvidiaSmi } from "./device.ts";

it("parses nvidia-smi's CSV: model and memory of every GPU", () => {
  expect(parseNvidiaSmi("NVIDIA H100 80GB HBM3, 81559\nNVIDIA A100-SXM4-40GB, 40960\n")).toEqual([
    { name: "NVIDIA H100 80GB HBM3", memoryBytes: 81559 * 1024 * 1024 },
    { name: "NVIDIA A100-SXM4-40GB", memoryBytes: 40960 * 1024 * 1024 },
  ]);
  expect(parseNvidiaSmi("")).toEqual([]);
  expect(parseNvidiaSmi("garbage")).toEqual([]);
});

it("describes this machine (no GPU here is not an error)", async () => {
  const device = await detectDevice();
  expect(device.cpus).toBeGreaterThan(0);
  expect(device.memoryBytes).toBeGreaterThan(0);
  expect(device.gpus.length === 0 ? device.gpu : device.gpu?.name).toBeDefined();
});
