/**
 * One Optuna distribution, as `distribution_to_json` writes it (an object or its JSON string, with
 * the current or the deprecated class names), read into our parameter document. Kept apart from
 * space.ts and optuna.ts so that the space parser accepts Optuna's form wherever a space is taken.
 */

/** True for an entry in Optuna's form: a JSON string, or `{name, attributes}` with no `type`. */
export function isOptunaEntry(raw: unknown): boolean {
  if (typeof raw === "string") return true;
  return (
    typeof raw === "object" &&
    raw !== null &&
    !Array.isArray(raw) &&
    !("type" in raw) &&
    "name" in raw &&
    "attributes" in raw
  );
}

/**
 * Our document for an Optuna entry, or an issue `{path, message}` relative to the parameter. Our own
 * `when` (conditions) may sit beside `name` and `attributes` and is kept.
 */
export function fromOptunaEntry(
  raw: unknown,
): { spec: Record<string, unknown> } | { issue: { path: string[]; message: string } } {
  let entry = raw;
  if (typeof raw === "string") {
    try {
      entry = JSON.parse(raw);
    } catch {
      return {
        issue: { path: [], message: "not a distribution: a string must be Optuna's distribution JSON" },
      };
    }
  }
  if (typeof entry !== "object" || entry === null || Array.isArray(entry))
    return { issue: { path: [], message: "must be a distribution object" } };
  const { name, attributes, when, ...rest } = entry as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0)
    return {
      issue: { path: [extra[0]!], message: "not a key of an Optuna distribution (name, attributes, when)" },
    };
  if (typeof attributes !== "object" || attributes === null || Array.isArray(attributes))
    return { issue: { path: ["attributes"], message: "must be an object" } };
  const spec = specFromOptuna(String(name), attributes as Record<string, unknown>);
  if (!spec)
    return { issue: { path: ["name"], message: `unknown Optuna distribution ${JSON.stringify(name)}` } };
  if (when !== undefined) spec["when"] = when;
  return { spec };
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
