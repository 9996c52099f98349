/**
 * The engine's one parameter layout, free of TF.js so that the WGSL and CPU kernels and the float64
 * references share it: one flat parameter vector per replica ([R, P]), every layer's kernel
 * [fanIn][fanOut] (row-major) then bias [fanOut], then the preprocessing exponents α [F] and β [F]
 * when the architecture has them. The optimiser, clipping, early-stopping copies and per-replica
 * norms are single operations on [R, P].
 */

import type { ArchitectureConfig } from "./mlp.ts";

/** The network's part of the layout: the dense layers of sizes [inputs, hidden…, outputs]. */
export interface NetworkLayout {
  sizes: number[];
  layers: { kernel: number; bias: number; fanIn: number; fanOut: number }[];
  /** Parameters of the layers (P). */
  size: number;
}

export interface ParameterLayout extends NetworkLayout {
  alpha?: number;
  beta?: number;
  /** All parameters per replica (the layers', then α and β). */
  size: number;
}

export function networkLayout(sizes: number[]): NetworkLayout {
  let off = 0;
  const layers = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const fanIn = sizes[i]!;
    const fanOut = sizes[i + 1]!;
    layers.push({ kernel: off, bias: off + fanIn * fanOut, fanIn, fanOut });
    off += fanIn * fanOut + fanOut;
  }
  return { sizes, layers, size: off };
}

export function parameterLayout(a: ArchitectureConfig): ParameterLayout {
  const layout: ParameterLayout = networkLayout([a.inputDim, ...a.hidden, a.outputDim]);
  if (a.preprocessing) {
    layout.alpha = layout.size;
    layout.beta = layout.size + a.outputDim;
    layout.size += 2 * a.outputDim;
  }
  return layout;
}
