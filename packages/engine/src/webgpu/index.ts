export {
  type DawnBackend,
  getWebGpu,
  isCpuDevice,
  type WebGpuContext,
  WebGpuUnavailableError,
} from "./device.ts";
export {
  compilePipelines,
  type EnsembleLosses,
  type TrainKernel,
  WebGpuEnsemble,
  type WebGpuEnsembleSpec,
} from "./ensemble.ts";
export { ReferenceEnsemble, type ReferenceSpec } from "./reference.ts";
export {
  type KernelLayout,
  kernelLayout,
  type MlpShape,
  optimiseShader,
  trainShader,
  trainShaderCpu,
} from "./wgsl.ts";
