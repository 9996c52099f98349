import { describe, expect, it } from "vitest";
import { fromOptunaJson, toOptunaJson } from "./optuna.ts";
import { isActive, parseSearchSpace, SearchSpaceError, validateParams } from "./space.ts";

const yaml = `
n_layers: { type: int, low: 1, high: 4 }
units_3: { type: int, low: 8, high: 256, log: true, when: { param: n_layers, gte: 3 } }
optimizer: { type: categorical, choices: [adam, sgd] }
lr_adam: { type: float, low: 1.0e-5, high: 1.0e-2, log: true, when: { param: optimizer, in: [adam] } }
lr_sgd: { type: float, low: 1.0e-3, high: 1.0, log: true, when: { param: optimizer, in: [sgd] } }
dropout: { type: float, low: 0, high: 0.5, step: 0.1 }
`;

function messages(input: unknown): string[] {
  try {
    parseSearchSpace(input);
  } catch (err) {
    expect(err).toBeInstanceOf(SearchSpaceError);
    return (err as SearchSpaceError).issues;
  }
  throw new Error("expected the document to be rejected");
}

describe("parseSearchSpace", () => {
  it("reads YAML with conditions and defaults", () => {
    const space = parseSearchSpace(yaml);
    expect(space["n_layers"]).toEqual({ type: "int", low: 1, high: 4, log: false, step: 1 });
    expect(space["units_3"]?.when).toEqual([{ param: "n_layers", gte: 3 }]);
    expect(isActive(space["units_3"]!, { n_layers: 2 })).toBe(false);
    expect(isActive(space["units_3"]!, { n_layers: 3 })).toBe(true);
    expect(validateParams(space, { n_layers: 2, optimizer: "sgd", lr_sgd: 0.01, dropout: 0.2 })).toEqual([]);
    expect(validateParams(space, { n_layers: 3, optimizer: "sgd", lr_sgd: 0.01, dropout: 0.25 })).toEqual([
      "units_3: missing",
      "dropout: 0.25 is outside its domain",
    ]);
  });

  it("reads JSON strings and objects alike", () => {
    const doc = { lr: { type: "float", low: 0.001, high: 0.1, log: true } };
    expect(parseSearchSpace(JSON.stringify(doc))).toEqual(parseSearchSpace(doc));
  });

  it("names the field in every message (Optuna's invariants)", () => {
    expect(messages({ learning_rate: { type: "float", low: 0, high: 1, log: true } })).toEqual([
      "learning_rate.low: must be > 0 when log is true",
    ]);
    expect(messages({ a: { type: "float", low: 2, high: 1 } })).toEqual(["a.low: must be <= high"]);
    expect(messages({ a: { type: "float", low: 1, high: 2, log: true, step: 0.5 } })).toEqual([
      "a.step: cannot be combined with log",
    ]);
    expect(messages({ a: { type: "float", low: 0, high: 1, step: -1 } })).toEqual(["a.step: must be > 0"]);
    expect(messages({ a: { type: "int", low: 0, high: 10, step: 3 } })).toEqual([
      "a.high: high - low must be a multiple of step",
    ]);
    expect(messages({ a: { type: "int", low: 0.5, high: 10 } })[0]).toMatch(/^a\.low: /);
    expect(messages({ a: { type: "categorical", choices: [] } })[0]).toMatch(/^a\.choices: /);
    expect(messages({ a: { type: "categorical", choices: [1, 1] } })).toEqual([
      "a.choices.1: duplicate choice",
    ]);
    expect(messages({ a: { type: "float", low: 0, high: 1, lg: true } })[0]).toMatch(/^a: .*lg/);
    expect(messages({ a: { type: "normal", low: 0, high: 1 } })[0]).toMatch(/^a\.type: /);
  });

  it("checks conditions: known parent, values of the parent, no cycles", () => {
    expect(messages({ a: { type: "float", low: 0, high: 1, when: { param: "b", in: [1] } } })).toEqual([
      'a.when.0.param: unknown parameter "b"',
    ]);
    expect(
      messages({
        opt: { type: "categorical", choices: ["adam"] },
        lr: { type: "float", low: 0.1, high: 1, when: { param: "opt", in: ["sgd"] } },
      }),
    ).toEqual(['lr.when.0.in.0: "sgd" is not a value of "opt"']);
    const cyc = messages({
      a: { type: "int", low: 0, high: 1, when: { param: "b", in: [1] } },
      b: { type: "int", low: 0, high: 1, when: { param: "a", in: [1] } },
    });
    expect(cyc).toContain("a.when: conditions form a cycle");
  });

  it("names an empty condition instead of throwing (the builder's fresh 'Only when')", () => {
    const out = messages({
      a: { type: "int", low: 1, high: 3 },
      b: { type: "float", low: 0, high: 1, when: { param: "a", in: [] } },
    });
    expect(out.some((m) => m.startsWith("b.when"))).toBe(true);
    expect(out.join("\n")).not.toMatch(/forEach/);
  });

  it("rejects malformed YAML with a document-level message", () => {
    expect(messages("a: [1, 2")[0]).toMatch(/^\(document\): not valid YAML/);
  });
});

describe("Optuna JSON", () => {
  it("round-trips a space, conditions included", () => {
    const space = parseSearchSpace(yaml);
    const json = toOptunaJson(space);
    expect(json["lr_adam"]).toEqual({
      name: "FloatDistribution",
      attributes: { step: null, low: 1e-5, high: 1e-2, log: true },
      when: [{ param: "optimizer", in: ["adam"] }],
    });
    expect(json["n_layers"]).toEqual({
      name: "IntDistribution",
      attributes: { log: false, step: 1, low: 1, high: 4 },
    });
    expect(fromOptunaJson(JSON.parse(JSON.stringify(json)))).toEqual(space);
  });

  it("reads Optuna's stored distribution_json strings and deprecated names", () => {
    const space = fromOptunaJson({
      x: '{"name": "UniformDistribution", "attributes": {"low": -1.0, "high": 1.0}}',
      lr: { name: "LogUniformDistribution", attributes: { low: 1e-4, high: 1 } },
      q: { name: "DiscreteUniformDistribution", attributes: { low: 0, high: 1, q: 0.25 } },
      n: { name: "IntUniformDistribution", attributes: { low: 1, high: 9, step: 2 } },
      c: { name: "CategoricalDistribution", attributes: { choices: ["a", "b"] } },
    });
    expect(space["lr"]).toEqual({ type: "float", low: 1e-4, high: 1, log: true });
    expect(space["q"]).toEqual({ type: "float", low: 0, high: 1, log: false, step: 0.25 });
    expect(space["n"]).toEqual({ type: "int", low: 1, high: 9, log: false, step: 2 });
    expect(() => fromOptunaJson({ z: { name: "NormalDistribution", attributes: {} } })).toThrow(/z\.name/);
  });
});

describe("parameter names are own keys only", () => {
  const lr = { type: "float", low: 0.001, high: 0.1 };

  it("refuses a condition on a name every object inherits (toString, constructor, ...)", () => {
    // Regression: `space["toString"]` found Object.prototype.toString, the condition passed, and
    // every sampler then proposed {"toString": null}.
    for (const parent of ["toString", "constructor", "hasOwnProperty", "__proto__", "valueOf"]) {
      expect(
        messages({ units: { type: "int", low: 1, high: 4 }, lr: { ...lr, when: { param: parent, gte: 0 } } }),
      ).toEqual([
        `lr.when.0.param: "${parent}" is reserved (every JavaScript object has a member by that name): choose another name`,
      ]);
    }
  });

  it("refuses reserved parameter names, __proto__ included, from objects, JSON and YAML", () => {
    for (const name of [
      "__proto__",
      "constructor",
      "prototype",
      "toString",
      "isPrototypeOf",
      "__defineGetter__",
    ]) {
      const expected = [
        `${name}: "${name}" is reserved (every JavaScript object has a member by that name): choose another name`,
      ];
      // JSON.parse makes `__proto__` an own key, as a request body does.
      const json = `{"units": {"type": "int", "low": 1, "high": 4}, "${name}": {"type": "float", "low": 0, "high": 1}}`;
      expect(messages(JSON.parse(json))).toEqual(expected);
      expect(messages(json)).toEqual(expected);
      expect(
        messages(`units: { type: int, low: 1, high: 4 }\n${name}: { type: float, low: 0, high: 1 }\n`),
      ).toEqual(expected);
      expect(() =>
        fromOptunaJson({ [name]: { name: "FloatDistribution", attributes: { low: 0, high: 1 } } }),
      ).toThrow(SearchSpaceError);
      expect(() =>
        fromOptunaJson(`{"${name}": {"name": "FloatDistribution", "attributes": {"low": 0, "high": 1}}}`),
      ).toThrow(`${name}: "${name}" is reserved`);
    }
  });

  it("validateParams and isActive read an assignment's own keys only", () => {
    const space = parseSearchSpace({
      units: { type: "int", low: 1, high: 4 },
      lr: { ...lr, when: { param: "units", gte: 2 } },
    });
    expect(validateParams(space, JSON.parse('{"units": 1, "hasOwnProperty": 2, "__proto__": 3}'))).toEqual([
      "hasOwnProperty: not in the search space",
      "__proto__: not in the search space",
    ]);
    // An inherited member is no value: `units` absent means `lr` is inactive.
    const inherits = Object.create({ units: 3 }) as Record<string, number>;
    expect(isActive(space["lr"]!, inherits)).toBe(false);
  });
});
