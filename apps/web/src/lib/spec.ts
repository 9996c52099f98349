import { fixedSettingsIssues, parseTrainerSearchSpace } from "@hyperensemble/engine/hyperparameters";
import {
  createSampler,
  isActive,
  type ParamValue,
  parseSearchSpace,
  type SearchSpace,
  SearchSpaceError,
  type StoredTrial,
  samplerSeed,
} from "@hyperensemble/engine/search";
import { type CreateStudySpec, createStudyInputSchema } from "@hyperensemble/platform/schema";
import YAML, { isNode, LineCounter } from "yaml";

// The spec editor's checks: the API's own schema (createStudyInputSchema) and the engine's
// search-space parser, so a spec that passes here is accepted by the server and the CLI.

export interface SpecIssue {
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export const DEFAULT_SPACE: Record<string, unknown> = {
  n_layers: { type: "int", low: 1, high: 3 },
  units_1: { type: "int", low: 10, high: 45 },
  units_2: { type: "int", low: 10, high: 45, when: { param: "n_layers", gte: 2 } },
  units_3: { type: "int", low: 10, high: 45, when: { param: "n_layers", gte: 3 } },
  activation: { type: "categorical", choices: ["tanh", "sigmoid"] },
  optimizer: { type: "categorical", choices: ["adam", "nadam", "amsgrad"] },
  learning_rate: { type: "float", low: 1e-3, high: 3e-2, log: true },
  stopping_patience: { type: "float", low: 0.1, high: 0.3 },
};

export const EXAMPLE_SPEC = `# A study spec: the same document \`hens study create -f\` accepts.
name: Closure study from YAML
task: { kind: closure, level: 2 }
replicas: 8
trials: 4
folds: 2
maxEpochs: 150
parallelism: 2
sampler: { name: tpe, options: { nStartupTrials: 2 } }   # or a bare name; default auto
scheduler: { name: asha, options: { gracePeriod: 10, eta: 3, maxT: 150 } }
objective: L1
searchSpace:
  n_layers: { type: int, low: 1, high: 2 }
  units_1: { type: int, low: 10, high: 30 }
  units_2: { type: int, low: 10, high: 30, when: { param: n_layers, gte: 2 } }
  activation: { type: categorical, choices: [tanh, sigmoid] }
  learning_rate: { type: float, low: 0.001, high: 0.03, log: true }
fixed: { optimizer: adam, dropout: 0 }   # the same for every trial, never searched
`;

/** Parse a YAML/JSON spec and validate it exactly as the API does; issues carry their line. */
export function checkSpec(text: string): { spec?: CreateStudySpec; issues: SpecIssue[] } {
  const lines = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    return {
      issues: doc.errors.map((e) => ({
        path: "(syntax)",
        message: `not valid YAML or JSON: ${e.message.split("\n")[0]?.replace(/ at line \d+, column \d+:?$/, "")}`,
        ...(() => {
          const at = lines.linePos(e.pos[0]);
          return { line: at.line, column: at.col };
        })(),
      })),
    };
  }
  const value = doc.toJS();
  const posOf = (path: (string | number)[]): { line?: number; column?: number } => {
    for (let n = path.length; n > 0; n--) {
      const node = doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) {
        const at = lines.linePos(node.range[0]);
        return { line: at.line, column: at.col };
      }
    }
    return {};
  };
  const parsed = createStudyInputSchema.safeParse(value);
  const issues: SpecIssue[] = [];
  if (!parsed.success) {
    const seen = new Set<string>();
    for (const issue of parsed.error.issues) {
      // An unknown field (`epochs`) is named on its own line, like any other field at fault.
      const paths =
        issue.code === "unrecognized_keys" ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
      for (const at of paths) {
        const path = at.map(String).join(".") || "(document)";
        if (seen.has(path)) continue;
        seen.add(path);
        issues.push({ path, message: issue.message, ...posOf(at as (string | number)[]) });
      }
    }
  }
  // The space is checked even when other fields fail, so every problem shows at once.
  const space = (value as { searchSpace?: unknown } | null)?.searchSpace;
  if (space && typeof space === "object" && !issues.some((i) => i.path.startsWith("searchSpace"))) {
    for (const i of checkSpace(space)) {
      issues.push({
        ...i,
        path: `searchSpace.${i.path}`,
        ...posOf(["searchSpace", ...i.path.split(".")]),
      });
    }
  }
  // Fixed settings against the trainer and the space, as at creation (once the space itself is good).
  const fixed = (value as { fixed?: unknown } | null)?.fixed;
  if (
    isObject(fixed) &&
    !issues.some((i) => i.path.startsWith("searchSpace") || i.path.startsWith("fixed"))
  ) {
    const external = (value as { executor?: unknown }).executor === "external";
    for (const i of checkFixed(fixed, space ?? {}, external)) {
      issues.push({ ...i, ...posOf(i.path.split(".")) });
    }
  }
  if (!parsed.success || issues.length > 0) return { issues };
  return { spec: parsed.data, issues: [] };
}

/**
 * The engine's search-space errors as {path, message} (its messages read "a.b: message"), the
 * trainer's checks included (unknown names, bounds, categorical values), exactly as at creation.
 */
export function checkSpace(space: unknown): SpecIssue[] {
  try {
    parseTrainerSearchSpace(space);
    return [];
  } catch (err) {
    if (!(err instanceof SearchSpaceError)) throw err;
    return err.fields;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Fixed settings checked as at creation (platform createStudy): names and values against the trainer
 * (unless an external study's own code trains), none also in the space. Paths start with `fixed.`.
 */
export function checkFixed(fixed: Record<string, unknown>, space: unknown, external = false): SpecIssue[] {
  let parsed: SearchSpace;
  try {
    parsed = external ? parseSearchSpace(space) : parseTrainerSearchSpace(space);
  } catch {
    return []; // the space's own issues are reported under searchSpace
  }
  return fixedSettingsIssues(fixed, parsed, { trainer: !external }).map((i) => ({
    path: ["fixed", ...i.path].join("."),
    message: i.message,
  }));
}

/**
 * The first configurations the study will run: one fresh sampler per trial seeded with
 * samplerSeed(study seed) and the earlier proposals as history, exactly as the platform fills
 * its queue (fillSampler in packages/platform/src/study.ts). Model-based samplers use results after
 * their start-up trials, so only those first proposals are exact for them.
 */
export function previewSamples(space: SearchSpace, sampler: string, count: number, seed: number) {
  const make = (name: string) =>
    createSampler({ name, seed: samplerSeed(seed) } as Parameters<typeof createSampler>[0]);
  const trials: StoredTrial[] = [];
  for (let i = 0; i < count; i++) {
    let params: Record<string, ParamValue>;
    try {
      params = make(sampler).ask(space, trials);
    } catch {
      params = make("random").ask(space, trials);
    }
    trials.push({ number: i, params, state: "WAITING" });
  }
  return trials.map((t) => t.params);
}

export { isActive };
