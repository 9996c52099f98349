// The MLP's flat parameter layout, free of TensorFlow.js: the trainers build on it (model/mlp.ts
// re-exports it) and the platform's compute limits count parameters with it (model/size.ts).

export type Activation = "tanh" | "sigmoid" | "relu" | "linear";
export type Initializer = "glorot_normal" | "glorot_uniform";

export interface ArchitectureConfig {
  inputDim: number;
  hidden: number[];
  outputDim: number;
  activation: Activation;
  initializer: Initializer;
  dropout: number;
  /** Preprocessing exponents α, β per output, trained; initial values drawn per replica in ranges. */
  preprocessing?: { alphaInit: [number, number]; betaInit: [number, number]; trainable: boolean };
}

/**
 * One flat parameter vector per replica ([R, P]): every layer's kernel and bias are slices of it, so
 * the optimiser, clipping, early-stopping copies and per-replica norms are single ops on [R, P].
 */
export interface ParameterLayout {
  sizes: number[];
  layers: { kernel: number; bias: number; fanIn: number; fanOut: number }[];
  alpha?: number;
  beta?: number;
  size: number;
}

export function parameterLayout(a: ArchitectureConfig): ParameterLayout {
  const sizes = [a.inputDim, ...a.hidden, a.outputDim];
  let off = 0;
  const layers = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const fanIn = sizes[i]!;
    const fanOut = sizes[i + 1]!;
    layers.push({ kernel: off, bias: off + fanIn * fanOut, fanIn, fanOut });
    off += fanIn * fanOut + fanOut;
  }
  const layout: ParameterLayout = { sizes, layers, size: off };
  if (a.preprocessing) {
    layout.alpha = off;
    layout.beta = off + a.outputDim;
    layout.size = off + 2 * a.outputDim;
  }
  return layout;
}
