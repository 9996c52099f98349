/**
 * The WGSL kernels as a training kernel (kernel/kernel.ts): a WebGpuChi2Ensemble holds the stack on a
 * Dawn device (a GPU through Vulkan, or Mesa llvmpipe through OpenGL ES), with early stopping on the
 * device; the host reads the members' state only at its events.
 */

import type {
  KernelBackend,
  KernelMember,
  KernelPredictions,
  KernelSpec,
  KernelState,
  TrainingKernel,
} from "../kernel/kernel.ts";
import { type Chi2EnsembleSpec, WebGpuChi2Ensemble } from "./chi2Ensemble.ts";
import { type DawnBackend, getWebGpu, type WebGpuContext } from "./device.ts";
import type { TrainKernel } from "./ensemble.ts";

export interface WebGpuKernelOptions {
  /** Dawn backend: "vulkan" (a GPU), "opengles" (Mesa llvmpipe), "auto" (GPU, else llvmpipe). */
  backend?: DawnBackend;
  kernel?: TrainKernel;
  /** Longest run of epochs submitted without reading the members' state back (default 50). */
  maxEpochsPerReadback?: number;
  /** Most epochs of dropout masks uploaded at once (chi2Ensemble.ts). */
  maxMaskEpochs?: number;
}

const pick = (data: Float32Array, stride: number, positions?: readonly number[]) => {
  if (!positions) return data;
  const out = new Float32Array(positions.length * stride);
  positions.forEach((p, i) => {
    out.set(data.subarray(p * stride, (p + 1) * stride), i * stride);
  });
  return out;
};

class WebGpuKernel implements TrainingKernel {
  private epoch = 0;
  constructor(
    private readonly ens: WebGpuChi2Ensemble,
    private readonly spec: Chi2EnsembleSpec,
  ) {}

  get size(): number {
    return this.ens.S;
  }

  async step(epochs: number): Promise<void> {
    this.ens.step(epochs);
    this.epoch += epochs;
  }

  async state(): Promise<KernelState> {
    const { steps: _, ...st } = await this.ens.state();
    return { epoch: this.epoch, ...st };
  }

  async readParameters(which: "current" | "best", positions?: number[]): Promise<Float32Array> {
    const all = await (which === "best" ? this.ens.bestParameters() : this.ens.parameters());
    return pick(all, this.ens.PS, positions);
  }

  async writeParameters(which: "current" | "best", data: Float32Array, positions?: number[]): Promise<void> {
    const at = positions ?? Array.from({ length: this.size }, (_, p) => p);
    if (data.length !== at.length * this.ens.PS)
      throw new Error(`writeParameters: ${data.length} ≠ ${at.length}·${this.ens.PS}`);
    this.ens.writeRows(which === "best" ? "best" : "W", data, at);
  }

  freeze(positions: number[]): void {
    this.ens.freeze(positions);
  }

  async compact(keep: number[]): Promise<void> {
    this.ens.compact(keep);
  }

  /** A scratch stack of the parameter rows (empty point sets, no penalty) evaluated at its "best". */
  async predict(params: Float32Array): Promise<KernelPredictions> {
    const n = params.length / this.ens.PS;
    const N = this.spec.task.dataset.nPoints;
    // the same dropout flag as the stack, so that the same compiled pipelines serve
    const rate = Math.max(...this.spec.members.map((m) => m.settings.dropout));
    const base = this.spec.members[0]!.settings;
    const member: KernelMember = {
      member: { fold: 0, replica: 0, data: new Float64Array(N), train: [], validation: [] },
      settings: { ...base, dropout: rate, positivity: 0 },
    };
    const scratch = await WebGpuChi2Ensemble.create(this.ens.device, {
      ...this.spec,
      members: Array.from({ length: n }, () => member),
      params,
    });
    try {
      return await scratch.predictAtBest();
    } finally {
      scratch.destroy();
    }
  }

  async lossAndGradient() {
    return this.ens.lossAndGradient();
  }

  dispose(): void {
    this.ens.destroy();
  }
}

/** The WGSL kernels on a Dawn device, opened once per backend (device.ts getWebGpu). */
export class WebGpuKernelBackend implements KernelBackend {
  readonly kind = "webgpu" as const;
  readonly maxEpochsPerStep: number;
  private ctx: Promise<WebGpuContext> | undefined;
  constructor(private readonly options: WebGpuKernelOptions = {}) {
    this.maxEpochsPerStep = Math.max(1, options.maxEpochsPerReadback ?? 50);
  }

  /** The device; throws WebGpuUnavailableError without one. */
  context(): Promise<WebGpuContext> {
    this.ctx ??= getWebGpu(this.options.backend ?? "auto");
    return this.ctx;
  }

  async available(): Promise<boolean> {
    return this.context().then(
      () => true,
      () => false,
    );
  }

  async describe(): Promise<string> {
    const ctx = await this.context();
    return `webgpu (${ctx.backend}: ${ctx.description})`;
  }

  async create(spec: KernelSpec): Promise<TrainingKernel> {
    const { device } = await this.context();
    const full: Chi2EnsembleSpec = {
      ...spec,
      ...(this.options.kernel ? { kernel: this.options.kernel } : {}),
      ...(this.options.maxMaskEpochs ? { maxMaskEpochs: this.options.maxMaskEpochs } : {}),
    };
    return new WebGpuKernel(await WebGpuChi2Ensemble.create(device, full), full);
  }
}
