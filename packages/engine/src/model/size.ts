// How big a study's networks can get, before anything is trained: the platform's compute limits
// (replicas × folds × epochs × parameters) count parameters with the trainers' own layout. Free of
// TensorFlow.js, so the web can import it (package export "@hyperensemble/engine/size").
import type { SearchSpace } from "../search/space.ts";
import { hyperparametersSchema } from "../spec.ts";
import { closureModelShape } from "../tasks/closure.ts";
import { parameterLayout } from "./layout.ts";

export { closureModelShape };

/** Inputs and outputs of the network a task trains; preprocessing adds 2 exponents per output. */
export interface ModelShape {
  inputDim: number;
  outputDim: number;
  preprocessing: boolean;
}

const UNIT_NAMES = ["units_1", "units_2", "units_3", "units_4"] as const;

/** The largest value a numeric parameter can take in the space, or undefined if it is not numeric. */
function largestValue(space: SearchSpace, name: string): number | undefined {
  const spec = space[name];
  if (!spec) return undefined;
  if (spec.type !== "categorical") return spec.high;
  const numbers = spec.choices.filter((c): c is number => typeof c === "number");
  return numbers.length > 0 ? Math.max(...numbers) : undefined;
}

/**
 * The widest hidden layers any trial of the space can ask for: each `units_i` at its largest value
 * (or its default when the space leaves it out), for the largest `n_layers`. Conditions are ignored:
 * an upper bound, so a limit checked against it holds for every trial.
 */
export function largestHiddenLayers(space: SearchSpace): number[] {
  const defaults = hyperparametersSchema.parse({});
  const layers = Math.min(4, Math.max(1, Math.floor(largestValue(space, "n_layers") ?? defaults.n_layers)));
  return UNIT_NAMES.slice(0, layers).map((name) => Math.floor(largestValue(space, name) ?? defaults[name]));
}

/** Parameters per replica of the largest network the space allows (model/layout.ts's count). */
export function largestParameterCount(space: SearchSpace, shape: ModelShape): number {
  const hidden = largestHiddenLayers(space);
  return parameterLayout({
    inputDim: shape.inputDim,
    hidden,
    outputDim: shape.outputDim,
    activation: "linear",
    initializer: "glorot_normal",
    dropout: 0,
    ...(shape.preprocessing
      ? { preprocessing: { alphaInit: [0, 0], betaInit: [0, 0], trainable: false } }
      : {}),
  }).size;
}
