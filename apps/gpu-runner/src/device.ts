// What a runner tells the platform about its machine when it registers: CPU, memory and, where
// nvidia-smi answers, each GPU's model and memory.
import { execFile } from "node:child_process";
import os from "node:os";

// Type aliases (not interfaces) so they fit Prisma's JSON input type.
export type GpuInfo = {
  name: string;
  memoryBytes: number;
};

export type DeviceInfo = {
  cpus: number;
  cpuModel: string;
  memoryBytes: number;
  gpu: GpuInfo | null;
  gpus: GpuInfo[];
};

/** Parses `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader,nounits` (MiB). */
export function parseNvidiaSmi(output: string): GpuInfo[] {
  return output
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .flatMap((line) => {
      const i = line.lastIndexOf(",");
      if (i < 0) return [];
      const name = line.slice(0, i).trim();
      const mib = Number(line.slice(i + 1).trim());
      return name && Number.isFinite(mib) ? [{ name, memoryBytes: mib * 1024 * 1024 }] : [];
    });
}

function nvidiaSmi(): Promise<string> {
  return new Promise((resolve) => {
    execFile(
      "nvidia-smi",
      ["--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
      { timeout: 5_000 },
      (error, stdout) => resolve(error ? "" : stdout),
    );
  });
}

export async function detectDevice(): Promise<DeviceInfo> {
  const gpus = parseNvidiaSmi(await nvidiaSmi());
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    memoryBytes: os.totalmem(),
    gpu: gpus[0] ?? null,
    gpus,
  };
}
