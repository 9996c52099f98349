import type { ArchitectureConfig } from "../model/mlp.ts";

/** The small MLP the trainer and packing tests train on the closure task (2 inputs, 3 flavours). */
export const closureTestArch: ArchitectureConfig = {
  inputDim: 2,
  hidden: [10, 8],
  outputDim: 3,
  activation: "tanh",
  initializer: "glorot_uniform",
  dropout: 0,
  preprocessing: { alphaInit: [0.3, 0.8], betaInit: [2.5, 4.5], trainable: true },
};
