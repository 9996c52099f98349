import type { FitOutcome } from "./fitTrain.ts";

/**
 * A fit's replicas as weights (format "hyperensemble-weights/1"), for users' own code: evaluate any
 * replica on new feature rows without the platform. Per replica, per dense layer, the kernel
 * [fanIn][fanOut] and bias [fanOut]; hidden layers apply `activation`, the last is linear; with
 * preprocessing the outputs are multiplied by x^α_f (1−x)^β_f, x the feature `xFeature` of the raw
 * row. Raw rows are standardised first: z_j = (v_j − mean_j) / sd_j. The Python twin is
 * scripts/hens_weights.py.
 */
export interface FitWeights {
  format: "hyperensemble-weights/1";
  activation: string;
  sizes: number[];
  inputScaling: { mean: number[]; sd: number[] };
  xFeature: number;
  outputNames: string[];
  replicas: {
    replica: number;
    layers: { kernel: number[][]; bias: number[] }[];
    alpha?: number[];
    beta?: number[];
  }[];
}

export function fitWeights(
  fit: FitOutcome,
  opts: { xFeature?: number; keptOnly?: boolean } = {},
): FitWeights {
  const { sizes } = fit.network;
  const D = sizes[0]!;
  const F = sizes[sizes.length - 1]!;
  const keep = new Set(opts.keptOnly === false ? fit.replicas.map((r) => r.replica) : fit.selection.kept);
  return {
    format: "hyperensemble-weights/1",
    activation: fit.network.activation,
    sizes,
    inputScaling: fit.network.inputScaling ?? { mean: new Array(D).fill(0), sd: new Array(D).fill(1) },
    xFeature: opts.xFeature ?? 0,
    outputNames: fit.outputNames,
    replicas: fit.replicas.flatMap((r, s) => {
      if (!keep.has(r.replica)) return [];
      const p = fit.parameters[s]!;
      let off = 0;
      const layers = sizes.slice(1).map((fanOut, l) => {
        const fanIn = sizes[l]!;
        const kernel = Array.from({ length: fanIn }, (_, i) =>
          p.slice(off + i * fanOut, off + (i + 1) * fanOut),
        );
        const bias = p.slice(off + fanIn * fanOut, off + fanIn * fanOut + fanOut);
        off += fanIn * fanOut + fanOut;
        return { kernel, bias };
      });
      return [
        {
          replica: r.replica,
          layers,
          ...(fit.network.preprocessing
            ? { alpha: p.slice(off, off + F), beta: p.slice(off + F, off + 2 * F) }
            : {}),
        },
      ];
    }),
  };
}

const activations: Record<string, (z: number) => number> = {
  tanh: Math.tanh,
  sigmoid: (z) => 1 / (1 + Math.exp(-z)),
  relu: (z) => Math.max(z, 0),
  linear: (z) => z,
};

/** One replica's outputs on raw feature rows, [rows][F] (float64). */
export function evaluateWeights(w: FitWeights, replica: number, rows: number[][]): number[][] {
  const rep = w.replicas[replica];
  if (!rep) throw new Error(`replica: ${replica} of ${w.replicas.length}`);
  const act = activations[w.activation];
  if (!act) throw new Error(`activation: unknown "${w.activation}"`);
  return rows.map((raw) => {
    let a = raw.map((v, j) => (v - w.inputScaling.mean[j]!) / w.inputScaling.sd[j]!);
    rep.layers.forEach((layer, l) => {
      const last = l === rep.layers.length - 1;
      a = layer.bias.map((b, k) => {
        let z = b;
        for (let i = 0; i < a.length; i++) z += a[i]! * layer.kernel[i]![k]!;
        return last ? z : act(z);
      });
    });
    if (rep.alpha && rep.beta) {
      const x = raw[w.xFeature]!;
      a = a.map((h, f) => h * Math.exp(rep.alpha![f]! * Math.log(x) + rep.beta![f]! * Math.log(1 - x)));
    }
    return a;
  });
}
