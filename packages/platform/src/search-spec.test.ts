import { createSampler, parseSearchSpace } from "@hyperensemble/engine/search";
import { describe, expect, it } from "vitest";
import { fieldErrors } from "./schema.ts";
import {
  decentralizedSamplerConfig,
  samplerSpecSchema,
  schedulerSpecSchema,
  studyAskOptions,
  studySamplerConfig,
  studySchedulerConfig,
} from "./search-spec.ts";

const row = (over: Record<string, unknown> = {}) => ({
  sampler: "tpe",
  samplerOptions: {},
  scheduler: "none",
  schedulerOptions: {},
  mode: "centralised",
  ...over,
});

describe("sampler and scheduler specs", () => {
  it("take a bare name or { name, options }", () => {
    expect(samplerSpecSchema.parse("gp")).toEqual({ name: "gp", options: {} });
    expect(samplerSpecSchema.parse({ name: "gp", options: { acquisition: "ucb" } })).toEqual({
      name: "gp",
      options: { acquisition: "ucb" },
    });
  });

  it("name the path of a bad option, an unknown option and an unknown name", () => {
    const errors = (schema: typeof samplerSpecSchema | typeof schedulerSpecSchema, v: unknown) => {
      const r = schema.safeParse(v);
      if (r.success) throw new Error("accepted");
      return fieldErrors(r.error);
    };
    expect(errors(samplerSpecSchema, { name: "cmaes", options: { sigma0: 2 } })).toHaveProperty([
      "options.sigma0",
    ]);
    expect(errors(schedulerSpecSchema, { name: "asha", options: { grace: 1 } })["options.grace"]).toMatch(
      /not an option of asha \(options: direction, gracePeriod, eta, maxT\)/,
    );
    expect(errors(samplerSpecSchema, { name: "random", options: { x: 1 } })["options.x"]).toMatch(
      /takes none/,
    );
    expect(errors(samplerSpecSchema, "annealing")["_"]).toMatch(/must be one of auto, random, grid/);
  });
});

describe("a stored row back into engine configurations", () => {
  it("passes the options to the engine, and refuses a row whose options no longer parse", () => {
    expect(studySamplerConfig(row({ samplerOptions: { nStartupTrials: 3 } }), 5)).toEqual({
      name: "tpe",
      seed: 5,
      nStartupTrials: 3,
    });
    expect(studySchedulerConfig(row({ scheduler: "hyperband", schedulerOptions: { eta: 2 } }), 9)).toEqual({
      name: "hyperband",
      eta: 2,
      seed: 9,
    });
    expect(() => studySamplerConfig(row({ samplerOptions: { nStartupTrials: "x" } }), 5)).toThrow(
      /stored sampler is invalid.*nStartupTrials/,
    );
  });

  it("runs auto's recorded pick", () => {
    const config = studySamplerConfig(
      row({ sampler: "auto", samplerChoice: { name: "cmaes", reason: "r" } }),
      1,
    );
    expect(config).toEqual({ name: "cmaes", seed: 1 });
    expect(studySamplerConfig(row({ sampler: "auto" }), 1)).toEqual({ name: "auto", seed: 1 });
  });

  it("gives a dbo study's options to every decentralized worker, with its own id", () => {
    expect(
      decentralizedSamplerConfig(row({ sampler: "dbo", samplerOptions: { kappaScale: 0.5 } }), 3, "w1"),
    ).toEqual({
      surrogate: "rf",
      kappaScale: 0.5,
      name: "dbo",
      seed: 3,
      workerId: "w1",
    });
    expect(decentralizedSamplerConfig(row(), 3, "w2")).toMatchObject({ name: "dbo", workerId: "w2" });
  });

  it("asks a multi-objective sampler with [L1 min, phi2 max]", () => {
    expect(studyAskOptions({ sampler: "nsga2", objective: "L1" })).toEqual({
      directions: ["minimize", "maximize"],
    });
    expect(studyAskOptions({ sampler: "tpe", objective: "L2" })).toEqual({ direction: "minimize" });
    const space = parseSearchSpace({ x: { type: "float", low: 0, high: 1 } });
    const config = studySamplerConfig(row({ sampler: "nsga2" }), 2);
    expect(
      createSampler(config).ask(space, [], studyAskOptions({ sampler: "nsga2", objective: "L1" })),
    ).toHaveProperty("x");
  });
});
