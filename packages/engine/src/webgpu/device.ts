/**
 * Dawn (the `webgpu` npm package) in Node: one GPU device per process and backend.
 *
 * - `vulkan` (default on a GPU machine): `create([])`.
 * - `opengles`: Mesa llvmpipe on the CPU, `create(['backend=opengles'])` with EGL_PLATFORM=surfaceless.
 *   Needs Debian's libegl1, libgles2, libegl-mesa0 and libgl1-mesa-dri. The adapter runs at feature level
 *   "compatibility" (max storage binding 128 MiB, 16 storage buffers per stage, 32 KiB workgroup memory).
 */

export type DawnBackend = "vulkan" | "opengles" | "auto";

export class WebGpuUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "WebGpuUnavailableError";
  }
}

export interface WebGpuContext {
  device: GPUDevice;
  adapter: GPUAdapter;
  backend: "vulkan" | "opengles";
  /** Human-readable adapter description (vendor, device, driver) for logs and benchmark rows. */
  description: string;
  /** True when the adapter is a CPU rasteriser (llvmpipe, lavapipe, SwiftShader). */
  isCpu: boolean;
  /**
   * The Dawn GPU object. Must stay reachable as long as the device is used: when it is garbage
   * collected, dawn.node stops processing the device's events and the next mapAsync /
   * onSubmittedWorkDone hangs or aborts ("std::system_error: Invalid argument").
   */
  gpu: GPU;
}

const MESA_HINT =
  "On Debian/Ubuntu: apt-get install -y --no-install-recommends libegl1 libgles2 libegl-mesa0 libgl1-mesa-dri";

interface DawnModule {
  create(options: string[]): GPU;
  globals: object;
}

let dawn: Promise<DawnModule> | undefined;

async function loadDawn(): Promise<DawnModule> {
  dawn ??= (async () => {
    try {
      // A variable specifier keeps bundlers from requiring the optional package at build time.
      const name = "webgpu";
      const mod = (await import(/* @vite-ignore */ name)) as DawnModule;
      Object.assign(globalThis, mod.globals);
      return mod;
    } catch (e) {
      throw new WebGpuUnavailableError(
        `the optional npm package "webgpu" (Dawn for Node) could not be loaded: ${(e as Error).message}`,
        { cause: e },
      );
    }
  })();
  return dawn;
}

function describe(info: GPUAdapterInfo | undefined): string {
  if (!info) return "unknown adapter";
  const parts = [info.vendor, info.architecture, info.device, info.description].filter(
    (s): s is string => typeof s === "string" && s.length > 0,
  );
  return [...new Set(parts)].join(" / ") || "unknown adapter";
}

const contexts = new Map<string, Promise<WebGpuContext>>();
const cpuDevices = new WeakSet<GPUDevice>();

/** True when the device was opened by getWebGpu on a CPU rasteriser (llvmpipe): kernels pick their shape. */
export function isCpuDevice(device: GPUDevice): boolean {
  return cpuDevices.has(device);
}

async function open(backend: "vulkan" | "opengles"): Promise<WebGpuContext> {
  const mod = await loadDawn();
  if (backend === "opengles" && !process.env.EGL_PLATFORM) process.env.EGL_PLATFORM = "surfaceless";
  const gpu = mod.create(backend === "opengles" ? ["backend=opengles"] : ["backend=vulkan"]);
  const adapter = await gpu.requestAdapter(
    backend === "opengles" ? ({ featureLevel: "compatibility" } as GPURequestAdapterOptions) : {},
  );
  if (!adapter)
    throw new WebGpuUnavailableError(
      backend === "opengles"
        ? `Dawn found no OpenGL ES adapter (Mesa llvmpipe). ${MESA_HINT}; EGL_PLATFORM=surfaceless.`
        : "Dawn found no Vulkan adapter (is libvulkan1 installed and a GPU driver present?)",
    );
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    },
  });
  const description = describe(adapter.info);
  const isCpu = /llvmpipe|lavapipe|swiftshader|software|cpu/i.test(description);
  if (isCpu) cpuDevices.add(device);
  return { device, adapter, backend, description, isCpu, gpu };
}

/**
 * The process-wide Dawn device for a backend. `auto` tries Vulkan first and falls back to OpenGL ES
 * (llvmpipe). Throws WebGpuUnavailableError with an installation hint when none works.
 */
export async function getWebGpu(backend: DawnBackend = "auto"): Promise<WebGpuContext> {
  if (backend === "auto") {
    try {
      const ctx = await getWebGpu("vulkan");
      if (!ctx.isCpu) return ctx;
    } catch {
      // fall through to the CPU rasteriser
    }
    return getWebGpu("opengles");
  }
  let ctx = contexts.get(backend);
  if (!ctx) {
    ctx = open(backend);
    contexts.set(backend, ctx);
    ctx.catch(() => contexts.delete(backend));
  }
  return ctx;
}
