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
 * including the deprecated Uniform/LogUniform/DiscreteUniform/IntUniform/IntLogUniform names.
 */
export function fromOptunaJson(json: unknown): SearchSpace {
  const doc = typeof json === "string" ? JSON.parse(json) : json;
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new SearchSpaceError(["(document): must be an object of parameter name to distribution"]);
  }
  // Null prototype: a `__proto__` entry stays an own key, which the parser then refuses by name.
  const space: Record<string, unknown> = Object.create(null);
  const issues: string[] = [];
  for (const [name, raw] of Object.entries(doc as Record<string, unknown>)) {
    const entry = (typeof raw === "string" ? JSON.parse(raw) : raw) as Partial<OptunaDistributionJson> | null;
    const attrs = (entry?.attributes ?? {}) as Record<string, unknown>;
    const spec = specFromOptuna(String(entry?.name), attrs);
    if (!spec) {
      issues.push(`${name}.name: unknown Optuna distribution ${JSON.stringify(entry?.name)}`);
      continue;
    }
    if (entry?.when) spec.when = entry.when;
    space[name] = spec;
  }
  if (issues.length) throw new SearchSpaceError(issues);
  return parseSearchSpace(space);
}

function specFromOptuna(name: string, a: Record<string, unknown>): Record<string, unknown> | undefined {
  switch (name) {
    case "FloatDistribution":
      return {
        type: "float",
        low: a.low,
        high: a.high,
        log: a.log ?? false,
        ...(a.step != null ? { step: a.step } : {}),
      };
    case "UniformDistribution":
      return { type: "float", low: a.low, high: a.high, log: false };
    case "LogUniformDistribution":
      return { type: "float", low: a.low, high: a.high, log: true };
    case "DiscreteUniformDistribution":
      return { type: "float", low: a.low, high: a.high, log: false, step: a.q };
    case "IntDistribution":
      return { type: "int", low: a.low, high: a.high, log: a.log ?? false, step: a.step ?? 1 };
    case "IntUniformDistribution":
      return { type: "int", low: a.low, high: a.high, log: false, step: a.step ?? 1 };
    case "IntLogUniformDistribution":
      return { type: "int", low: a.low, high: a.high, log: true, step: 1 };
    case "CategoricalDistribution":
      return { type: "categorical", choices: a.choices };
    default:
      return undefined;
  }
}
