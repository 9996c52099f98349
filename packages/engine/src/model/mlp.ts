import * as tf from "@tensorflow/tfjs";
import { deriveSeed, Stream, TrialRng } from "../rng.ts";
import type { ParameterLayout } from "./layout.ts";

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

export { type NetworkLayout, networkLayout, type ParameterLayout, parameterLayout } from "./layout.ts";

/** Initial parameters of one replica from its own stream (glorot, zero biases, sampled exponents). */
export function initialParameters(
  a: ArchitectureConfig,
  layout: ParameterLayout,
  seed: number,
  replica: number,
): Float32Array {
  const rng = new TrialRng(deriveSeed(seed, Stream.init, replica));
  const p = new Float32Array(layout.size);
  for (const l of layout.layers) {
    const n = l.fanIn * l.fanOut;
    if (a.initializer === "glorot_uniform") {
      const lim = Math.sqrt(6 / (l.fanIn + l.fanOut));
      for (let i = 0; i < n; i++) p[l.kernel + i] = (2 * rng.uniform() - 1) * lim;
    } else {
      // Keras: truncated normal at 2σ, scaled so the truncated distribution has the glorot variance.
      const sd = Math.sqrt(2 / (l.fanIn + l.fanOut)) / 0.8796256610342398;
      for (let i = 0; i < n; i++) {
        let z = rng.normal();
        while (Math.abs(z) > 2) z = rng.normal();
        p[l.kernel + i] = z * sd;
      }
    }
  }
  const pre = a.preprocessing;
  if (pre && layout.alpha !== undefined && layout.beta !== undefined)
    for (let f = 0; f < a.outputDim; f++) {
      p[layout.alpha + f] = pre.alphaInit[0] + rng.uniform() * (pre.alphaInit[1] - pre.alphaInit[0]);
      p[layout.beta + f] = pre.betaInit[0] + rng.uniform() * (pre.betaInit[1] - pre.betaInit[0]);
    }
  return p;
}

function activate(h: tf.Tensor, act: Activation): tf.Tensor {
  switch (act) {
    case "tanh":
      return tf.tanh(h);
    case "sigmoid":
      return tf.sigmoid(h);
    case "relu":
      return tf.relu(h);
    case "linear":
      return h;
  }
}

export interface ModelConstants {
  /** Model inputs tiled over replicas: [R, G, d]. */
  inputs: tf.Tensor3D;
  /** ln x and ln(1 − x) per row, [1, G, 1] (preprocessing only). */
  logX?: tf.Tensor3D;
  log1mX?: tf.Tensor3D;
  /** x^α (1−x)^β per replica, [R, G, F], when the exponents are fixed (computed once). */
  prefactor?: tf.Tensor3D;
}

/** The preprocessing factor x^α (1−x)^β from the exponents in params: [R, G, F]. */
export function preprocessingFactor(
  a: ArchitectureConfig,
  layout: ParameterLayout,
  params: tf.Tensor2D,
  logX: tf.Tensor3D,
  log1mX: tf.Tensor3D,
): tf.Tensor3D {
  const R = params.shape[0];
  const F = a.outputDim;
  const alpha = tf.slice(params, [0, layout.alpha!], [R, F]).reshape([R, 1, F]);
  const beta = tf.slice(params, [0, layout.beta!], [R, F]).reshape([R, 1, F]);
  return tf.exp(tf.add(tf.mul(alpha, logX), tf.mul(beta, log1mX))) as tf.Tensor3D;
}

/**
 * Stacked-replica forward pass: params [R, P] → outputs [R, G, F]. `dropoutMasks` (one per hidden
 * layer, [R, G, units], already scaled by 1/(1−rate)) are applied in training only.
 */
export function forward(
  a: ArchitectureConfig,
  layout: ParameterLayout,
  params: tf.Tensor2D,
  c: ModelConstants,
  dropoutMasks?: tf.Tensor3D[],
): tf.Tensor3D {
  const R = params.shape[0];
  let h: tf.Tensor = c.inputs;
  layout.layers.forEach((l, i) => {
    const w = tf.slice(params, [0, l.kernel], [R, l.fanIn * l.fanOut]).reshape([R, l.fanIn, l.fanOut]);
    const b = tf.slice(params, [0, l.bias], [R, l.fanOut]).reshape([R, 1, l.fanOut]);
    h = tf.add(tf.matMul(h as tf.Tensor3D, w as tf.Tensor3D), b);
    if (i + 1 < layout.layers.length) {
      h = activate(h, a.activation);
      const m = dropoutMasks?.[i];
      if (m) h = tf.mul(h, m);
    }
  });
  if (c.prefactor) h = tf.mul(h, c.prefactor);
  else if (layout.alpha !== undefined && c.logX && c.log1mX)
    h = tf.mul(h, preprocessingFactor(a, layout, params, c.logX, c.log1mX));
  return h as tf.Tensor3D;
}
