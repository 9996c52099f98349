import { describe, expect, it } from "vitest";
import { createAshaBo, createSampler, createScheduler } from "./index.ts";
import { branin, branin2 } from "./samplers/testing.ts";
import { InMemoryTrialStorage, Study } from "./study.ts";

function study(seed = 0, extra: Partial<ConstructorParameters<typeof Study>[0]> = {}) {
  return new Study({
    storage: new InMemoryTrialStorage(),
    studyId: "s",
    space: branin2,
    sampler: createSampler({ name: "tpe", seed }),
    ...extra,
  });
}

describe("Study ask/tell", () => {
  it("runs enqueued configurations first, then sampled ones", async () => {
    const s = study();
    await s.enqueue({ x0: Math.PI, x1: 2.275 });
    const first = await s.ask();
    expect(first.params).toEqual({ x0: Math.PI, x1: 2.275 });
    expect(first.state).toBe("RUNNING");
    await s.tell(first.number, { value: branin(first.params) });
    const second = await s.ask();
    expect(second.number).toBe(1);
    await expect(s.enqueue({ x0: 99, x1: 0 })).rejects.toThrow(/x0: 99 is outside its domain/);
  });

  it("sees pending trials when workers ask in parallel", async () => {
    const s = study(3);
    await s.optimize(branin, 20);
    const [a, b] = [await s.ask(), await s.ask()];
    expect(a.params).not.toEqual(b.params);
  });

  it("a resumed study proposes exactly what the uninterrupted one would", async () => {
    const storage = new InMemoryTrialStorage();
    const one = study(5, { storage });
    await one.optimize(branin, 15);
    const resumed = study(5, { storage });
    const next = await resumed.ask();
    const reference = study(5);
    await reference.optimize(branin, 15);
    expect((await reference.ask()).params).toEqual(next.params);
  });

  it("warm starts from another study's trials without storing them", async () => {
    const source = study(1);
    await source.optimize(branin, 40);
    const warm = study(2, { warmStart: await source.trials() });
    const cold = study(2);
    const w = await warm.ask();
    const c = await cold.ask();
    expect(w.number).toBe(0);
    expect(w.params).not.toEqual(c.params);
    expect(await warm.trials()).toHaveLength(1);
  });

  it("reports intermediate values through the scheduler and marks pruned trials", async () => {
    const s = study(0, { scheduler: createScheduler({ name: "asha", gracePeriod: 1, eta: 2, maxT: 8 }) });
    const t0 = await s.ask();
    const t1 = await s.ask();
    expect(await s.report(t0.number, 1, 1.0)).toBe(false);
    expect(await s.report(t1.number, 1, 2.0)).toBe(true);
    const stored = await s.trials();
    expect(stored[1]!.state).toBe("PRUNED");
    expect(stored[1]!.intermediate).toEqual([[1, 2.0]]);
  });

  it("tells failures and multi-objective values", async () => {
    const s = study(0, {
      sampler: createSampler({ name: "nsga2", seed: 0 }),
      directions: ["minimize", "maximize"],
    });
    const t = await s.ask();
    await s.tell(t.number, { values: [1, 2] });
    const f = await s.ask();
    await s.tell(f.number, { state: "FAIL" });
    expect((await s.trials()).map((x) => x.state)).toEqual(["COMPLETE", "FAIL"]);
    await expect(s.tell(f.number, {})).rejects.toThrow(/needs value/);
  });
});

describe("ASHA + BO", () => {
  it("ASHA + BO pairs the scheduler's rungs with the sampler", () => {
    const { scheduler, sampler } = createAshaBo(
      { name: "tpe", seed: 0 },
      { gracePeriod: 10, eta: 4, maxT: 200 },
    );
    expect(scheduler.rungs).toEqual([10, 40, 160]);
    expect(sampler.name).toBe("tpe+mf");
  });
});
