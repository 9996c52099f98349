/**
 * Property tests of the search-space parser (fast-check, 12,000 generated documents: 5,000 valid, 5,000 broken, 2,000 arbitrary JSON): every valid
 * document parses, round-trips through Optuna JSON and YAML, and samples inside its bounds; every
 * invalid one is rejected with a message that names the broken field.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { fromOptunaJson, toOptunaJson } from "./optuna.ts";
import { RandomSampler } from "./samplers/random.ts";
import { isReservedName, parseSearchSpace, SearchSpaceError, validateParams } from "./space.ts";
import type { StoredTrial } from "./types.ts";

type Doc = Record<string, Record<string, unknown>>;

const floatArb = fc
  .record({
    low: fc.integer({ min: -100000, max: 100000 }),
    span: fc.integer({ min: 0, max: 100000 }),
    scale: fc.constantFrom(1, 0.01, 1e-4, 100),
    log: fc.boolean(),
    steps: fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
  })
  .map(({ low, span, scale, log, steps }) => {
    if (log)
      return {
        type: "float",
        low: (Math.abs(low) + 1) * scale,
        high: (Math.abs(low) + 1 + span) * scale,
        log: true,
      };
    if (steps && span > 0 && span % steps === 0) {
      return { type: "float", low: low * scale, high: (low + span) * scale, step: (span / steps) * scale };
    }
    return { type: "float", low: low * scale, high: (low + span) * scale };
  });

const intArb = fc
  .record({
    low: fc.integer({ min: -1000, max: 1000 }),
    k: fc.integer({ min: 0, max: 200 }),
    step: fc.integer({ min: 1, max: 7 }),
    log: fc.boolean(),
  })
  .map(({ low, k, step, log }) =>
    log
      ? { type: "int", low: Math.abs(low) + 1, high: Math.abs(low) + 1 + k, log: true }
      : { type: "int", low, high: low + k * step, step },
  );

const choiceArb = fc.oneof(fc.string({ maxLength: 12 }), fc.integer({ min: -50, max: 50 }), fc.boolean());
const categoricalArb = fc
  .uniqueArray(choiceArb, { minLength: 1, maxLength: 8, selector: (v) => `${typeof v}:${String(v)}` })
  .map((choices) => ({ type: "categorical", choices }));

// Names every object inherits (toString, __proto__, ...) are refused by design, so never valid.
const nameArb = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,10}$/).filter((n) => !isReservedName(n));

/** A valid document: up to 8 parameters, some conditioned on an earlier one with satisfiable values. */
const validDocArb = fc
  .tuple(
    fc.array(fc.tuple(nameArb, fc.oneof(floatArb, intArb, categoricalArb)), { minLength: 1, maxLength: 8 }),
    fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
  )
  .map(([params, picks]) => {
    const doc: Doc = {};
    const names: string[] = [];
    params.forEach(([name, spec], i) => {
      const unique = `${name}_${i}`;
      const entry: Record<string, unknown> = { ...spec };
      const pick = picks[i]!;
      if (i > 0 && pick % 3 === 0) {
        const parentName = names[pick % names.length]!;
        const parent = doc[parentName]!;
        if (parent["type"] === "categorical") {
          const choices = parent["choices"] as unknown[];
          entry["when"] = { param: parentName, in: choices.slice(0, 1 + (pick % choices.length)) };
        } else {
          entry["when"] = { param: parentName, gte: parent["low"] };
        }
      }
      doc[unique] = entry;
      names.push(unique);
    });
    return doc;
  });

const MUTATIONS = [
  "type",
  "unknownKey",
  "lowAboveHigh",
  "logNonPositive",
  "badStep",
  "emptyChoices",
  "unknownParent",
  "fractionalInt",
] as const;

/** Breaks one parameter of a valid document; returns the document and the parameter broken. */
function mutate(
  doc: Doc,
  which: number,
  kind: (typeof MUTATIONS)[number],
): { doc: Doc; name: string } | undefined {
  const names = Object.keys(doc);
  const name = names[which % names.length]!;
  const spec = { ...doc[name]! };
  const type = spec["type"];
  switch (kind) {
    case "type":
      spec["type"] = "normal";
      break;
    case "unknownKey":
      spec["lg"] = true;
      break;
    case "lowAboveHigh":
      if (type === "categorical") return undefined;
      spec["low"] = (spec["high"] as number) + (type === "int" ? 1 : 0.5);
      if (spec["log"]) spec["low"] = Math.max(spec["low"] as number, 1);
      delete spec["step"];
      break;
    case "logNonPositive":
      if (type !== "float") return undefined;
      spec["log"] = true;
      spec["low"] = 0;
      spec["high"] = Math.max(1, spec["high"] as number);
      delete spec["step"];
      break;
    case "badStep":
      if (type === "categorical") return undefined;
      spec["step"] = type === "int" ? 0 : -1;
      spec["log"] = false;
      break;
    case "emptyChoices":
      if (type !== "categorical") return undefined;
      spec["choices"] = [];
      break;
    case "unknownParent":
      spec["when"] = { param: "no_such_param_", in: [1] };
      break;
    case "fractionalInt":
      if (type !== "int") return undefined;
      spec["low"] = (spec["low"] as number) + 0.5;
      break;
  }
  return { doc: { ...doc, [name]: spec }, name };
}

function issuesOf(doc: unknown): string[] | undefined {
  try {
    parseSearchSpace(doc);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(SearchSpaceError);
    return (err as SearchSpaceError).issues;
  }
}

describe("search-space parser (property tests)", () => {
  it("valid documents parse, round-trip through Optuna JSON and YAML, and sample inside their bounds", () => {
    fc.assert(
      fc.property(validDocArb, fc.nat(), (doc, seed) => {
        const space = parseSearchSpace(doc);
        expect(fromOptunaJson(JSON.parse(JSON.stringify(toOptunaJson(space))))).toEqual(space);
        expect(parseSearchSpace(YAML.stringify(doc))).toEqual(space);
        const sampler = new RandomSampler(seed);
        const trials: StoredTrial[] = [];
        for (let i = 0; i < 3; i++) {
          const params = sampler.ask(space, trials);
          expect(validateParams(space, params)).toEqual([]);
          trials.push({ number: i, params, state: "COMPLETE", value: 0 });
        }
      }),
      { numRuns: 1500, seed: 20261122 },
    );
    // Bounded by run count, not time: a fixed seed and 1,500 documents; the timeout is for a loaded
    // 2-core machine (this took 29 s of a 20 s timeout at 5,000 runs on a loaded CI).
  }, 120_000);

  it("invalid documents are rejected with the broken parameter named in the path", () => {
    let rejected = 0;
    fc.assert(
      fc.property(validDocArb, fc.nat(), fc.constantFrom(...MUTATIONS), (doc, which, kind) => {
        const broken = mutate(doc, which, kind);
        if (!broken) return;
        const issues = issuesOf(broken.doc);
        expect(issues, `${kind} on ${broken.name}: ${JSON.stringify(broken.doc[broken.name])}`).toBeDefined();
        for (const line of issues!)
          expect(line).toMatch(/^(\(document\)|[A-Za-z_][\w\-/]*(\.[\w\-/]+)*): \S/);
        expect(
          issues!.some((line) => line.startsWith(`${broken.name}.`) || line.startsWith(`${broken.name}:`)),
        ).toBe(true);
        rejected++;
      }),
      { numRuns: 1500, seed: 7 },
    );
    expect(rejected).toBeGreaterThan(750);
  }, 120_000);

  it("arbitrary JSON never crashes the parser: it parses or throws SearchSpaceError", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        issuesOf(value);
      }),
      { numRuns: 2000, seed: 3 },
    );
  }, 120_000);
});
