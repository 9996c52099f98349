// `hens study create -f spec.yaml --sampler tpe --sampler-option nStartupTrials=5`: the sampler and
// scheduler of a spec from the command line. Flags override the file; options are merged over the
// file's (same name) or replace them (another name). Values are read as YAML scalars (5, true, ei);
// dotted keys nest (search.randomCandidates=256). The server validates them with the registry's
// schema and answers with the path (sampler.options.nStartupTrials) on a mistake.
import { parse as parseYaml } from "yaml";

export const SEARCH_FLAG_OPTIONS = {
  sampler: { type: "string" },
  "sampler-option": { type: "string", multiple: true },
  scheduler: { type: "string" },
  "scheduler-option": { type: "string", multiple: true },
} as const;

export const SEARCH_FLAG_USAGE = `  hens study create -f study.yaml --sampler tpe --sampler-option nStartupTrials=5 \\
      --scheduler asha --scheduler-option gracePeriod=10 --scheduler-option eta=3`;

interface SearchFlags {
  sampler?: string;
  "sampler-option"?: string[];
  scheduler?: string;
  "scheduler-option"?: string[];
}

type Component = { name: string; options: Record<string, unknown> };

function setPath(target: Record<string, unknown>, dotted: string, value: unknown) {
  const keys = dotted.split(".");
  let at = target;
  for (const key of keys.slice(0, -1)) {
    const next = at[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) at[key] = {};
    at = at[key] as Record<string, unknown>;
  }
  at[keys[keys.length - 1]!] = value;
}

function asComponent(value: unknown): Component | undefined {
  if (typeof value === "string") return { name: value, options: {} };
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const v = value as { name?: unknown; options?: unknown };
    if (typeof v.name === "string") {
      const options = typeof v.options === "object" && v.options !== null ? { ...(v.options as object) } : {};
      return { name: v.name, options };
    }
  }
  return undefined;
}

function merge(field: string, fromFile: unknown, name: string | undefined, pairs: string[] | undefined) {
  if (name === undefined && !pairs?.length) return fromFile;
  const base = asComponent(fromFile);
  const component: Component =
    name === undefined || name === base?.name ? (base ?? { name: "", options: {} }) : { name, options: {} };
  if (!component.name) throw new Error(`--${field}-option needs --${field} (or ${field} in the spec file)`);
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new Error(`--${field}-option takes key=value, got "${pair}"`);
    setPath(component.options, pair.slice(0, eq), parseYaml(pair.slice(eq + 1)));
  }
  return component;
}

/** The spec with the command line's sampler and scheduler applied. Throws a usage message on a malformed pair. */
export function applySearchFlags(spec: unknown, flags: SearchFlags): unknown {
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) return spec;
  const out = { ...(spec as Record<string, unknown>) };
  const sampler = merge("sampler", out["sampler"], flags.sampler, flags["sampler-option"]);
  const scheduler = merge("scheduler", out["scheduler"], flags.scheduler, flags["scheduler-option"]);
  if (sampler !== undefined) out["sampler"] = sampler;
  if (scheduler !== undefined) out["scheduler"] = scheduler;
  return out;
}
