/**
 * Optuna interchange: each parameter as Optuna's `distribution_to_json` writes it
 * (`{"name": "FloatDistribution", "attributes": {...}}`), so distributions can be loaded by
 * `optuna.distributions.json_to_distribution`. Optuna ignores extra keys; our conditions travel in
 * `when` beside `name` and `attributes`, so a space round-trips exactly.
 */
import {
  type Condition,
  type ParamSpec,
  parseSearchSpace,
  type SearchSpace,
  SearchSpaceError,
} from "./space.ts";

export interface OptunaDistributionJson {
  name: string;
  attributes: Record<string, unknown>;
  when?: Condition[];
}

export function toOptunaJson(space: SearchSpace): Record<string, OptunaDistributionJson> {
  const out: Record<string, OptunaDistributionJson> = {};
  for (const [name, spec] of Object.entries(space)) {
    const entry = distributionJson(spec);
    if (spec.when) entry.when = spec.when;
    out[name] = entry;
  }
  return out;
}

function distributionJson(spec: ParamSpec): OptunaDistributionJson {
  switch (spec.type) {
    case "float":
      return {
        name: "FloatDistribution",
        attributes: { step: spec.step ?? null, low: spec.low, high: spec.high, log: spec.log },
      };
    case "int":
      return {
        name: "IntDistribution",
        attributes: { log: spec.log, step: spec.step, low: spec.low, high: spec.high },
      };
    case "categorical":
      return { name: "CategoricalDistribution", attributes: { choices: spec.choices } };
  }
}

/**
 * Reads Optuna distributions (objects or the JSON strings Optuna stores in `distribution_json`),
 * including the deprecated Uniform/LogUniform/DiscreteUniform/IntUniform/IntLogUniform names. The
 * space parser itself takes them (parseSearchSpace), so this is that parser on a JSON string too.
 */
export function fromOptunaJson(json: unknown): SearchSpace {
  if (typeof json === "string") {
    try {
      return parseSearchSpace(JSON.parse(json));
    } catch (err) {
      if (err instanceof SyntaxError)
        throw new SearchSpaceError([`(document): not valid JSON: ${err.message}`]);
      throw err;
    }
  }
  return parseSearchSpace(json);
}
