export { CpuMlpEnsemble, type CpuRunOptions, type MlpEnsembleSpec } from "./ensemble.ts";
export { type CpuBuild, type CpuKernelModule, cpuKernelAvailable, loadCpuKernel } from "./load.ts";
