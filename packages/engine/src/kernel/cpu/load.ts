/**
 * Which build of the fused CPU kernel runs here: the native AVX2/FMA addon when it was built at install
 * and the CPU has AVX2 and FMA, else WebAssembly SIMD128 (the committed kernel.wasm). A relaxed-SIMD
 * (FMA) WebAssembly build is used when kernel-relaxed.wasm exists and the runtime validates it (Node
 * 20 only behind --experimental-wasm-relaxed-simd). `ENGINE_CPU_BUILD` (native | wasm-relaxed | wasm)
 * forces one.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

export type CpuBuild = "native" | "wasm-relaxed" | "wasm";

export interface CpuKernelModule {
  build: CpuBuild;
  /** SIMD lanes: 8 (AVX2) or 4 (SIMD128). */
  lanes: number;
  /** WebAssembly: the compiled module, shared with the workers. */
  module?: WebAssembly.Module;
  /** Native: the addon's path (each worker loads it). */
  addonPath?: string;
}

interface NativeAddon {
  supported(): boolean;
  misalignment(view: Uint8Array): number;
  lanes(): number;
}

const here = dirname(fileURLToPath(import.meta.url));
export const nativeAddonPath = join(here, "../../../native/cpu-kernel.node");
const wasmPath = join(here, "kernel.wasm");
const relaxedPath = join(here, "kernel-relaxed.wasm");

const buildSchema = z.enum(["native", "wasm-relaxed", "wasm"]);

function loadNative(): CpuKernelModule | undefined {
  if (!existsSync(nativeAddonPath)) return undefined;
  try {
    const addon = createRequire(import.meta.url)(nativeAddonPath) as NativeAddon;
    if (!addon.supported()) return undefined;
    return { build: "native", lanes: addon.lanes(), addonPath: nativeAddonPath };
  } catch {
    return undefined;
  }
}

function loadWasm(relaxed: boolean): CpuKernelModule | undefined {
  const path = relaxed ? relaxedPath : wasmPath;
  if (!existsSync(path)) return undefined;
  const bytes = readFileSync(path);
  if (!WebAssembly.validate(bytes)) return undefined;
  const module = new WebAssembly.Module(bytes);
  return { build: relaxed ? "wasm-relaxed" : "wasm", lanes: 4, module };
}

const cache = new Map<string, CpuKernelModule | undefined>();

/**
 * The fastest build present, or the one asked for (argument, then ENGINE_CPU_BUILD); undefined when
 * none loads (a forced build that cannot load is undefined too, never silently another one).
 */
export function loadCpuKernel(build?: CpuBuild): CpuKernelModule | undefined {
  const env = process.env.ENGINE_CPU_BUILD;
  const parsed = env ? buildSchema.safeParse(env) : undefined;
  if (parsed && !parsed.success)
    throw new Error(`ENGINE_CPU_BUILD must be native, wasm-relaxed or wasm (got "${env}")`);
  const want = build ?? parsed?.data;
  const key = want ?? "fastest";
  if (cache.has(key)) return cache.get(key);
  let m: CpuKernelModule | undefined;
  if (want === "native") m = loadNative();
  else if (want === "wasm-relaxed") m = loadWasm(true);
  else if (want === "wasm") m = loadWasm(false);
  else m = loadNative() ?? loadWasm(true) ?? loadWasm(false);
  cache.set(key, m);
  return m;
}

/** Whether some build of the CPU kernel loads here, and which. */
export function cpuKernelAvailable(): { available: boolean; build?: CpuBuild } {
  const m = loadCpuKernel();
  return m ? { available: true, build: m.build } : { available: false };
}

/** address % 64 of a SharedArrayBuffer's data as the native addon sees it. */
export function nativeMisalignment(view: Uint8Array): number {
  // Inside try/catch, as in loadNative: the web's bundler (Turbopack) accepts a dynamic require only
  // there; outside one, `next build` fails with "Can't resolve <dynamic>".
  let addon: NativeAddon;
  try {
    addon = createRequire(import.meta.url)(nativeAddonPath) as NativeAddon;
  } catch (err) {
    throw new Error(`the native CPU kernel (${nativeAddonPath}) does not load`, { cause: err });
  }
  return addon.misalignment(view);
}
