export {
  type Chi2ReferenceInput,
  ReferenceEnsemble,
  type ReferenceSpec,
  referenceTaskLoss,
} from "../testing/training.ts";
export { type Chi2EnsembleSpec, type Chi2State, WebGpuChi2Ensemble } from "./chi2Ensemble.ts";
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
export { optimiseShader } from "./optimise.ts";
export { bindProgram, compileProgram, type KernelProgram, programSource } from "./program.ts";
export {
  type KernelLayout,
  kernelLayout,
  type MlpShape,
  trainShader,
  trainShaderCpu,
} from "./wgsl.ts";
// trainer.ts (trainEnsembleWebGpu, webGpuTrainer) is not re-exported here: it pulls in TF.js (the member
// construction of train/trainer.ts), which the kernel-only GPU bundle (bench/webgpu-bundle.ts) leaves out.
