import { describe, expect, it } from "vitest";
import type { AskOptions, Sampler, StoredTrial } from "../types.ts";
import { MultiFidelitySampler, rungView } from "./multifidelity.ts";
import { branin2 } from "./testing.ts";
import { TpeSampler } from "./tpe.ts";

const trial = (
  n: number,
  curve: Array<[number, number]>,
  state: StoredTrial["state"] = "PRUNED",
): StoredTrial => ({
  number: n,
  params: { x0: n, x1: 1 },
  state,
  intermediate: curve,
});

describe("ASHA + BO rung view", () => {
  const history = [
    trial(
      0,
      [
        [1, 5],
        [4, 3],
        [16, 1],
      ],
      "COMPLETE",
    ),
    trial(1, [
      [1, 6],
      [4, 4],
    ]),
    trial(2, [[1, 7]]),
    trial(3, [
      [1, 2],
      [4, 1.5],
    ]),
    { number: 4, params: { x0: 4, x1: 1 }, state: "RUNNING" } as StoredTrial,
  ];

  it("models the highest rung with enough results, keeping pending trials", () => {
    const view = rungView(history, [1, 4, 16], 3);
    expect(view.map((t) => [t.number, t.state, t.value])).toEqual([
      [0, "COMPLETE", 3],
      [1, "COMPLETE", 4],
      [3, "COMPLETE", 1.5],
      [4, "RUNNING", undefined],
    ]);
    expect(
      rungView(history, [1, 4, 16], 1)
        .filter((t) => t.state === "COMPLETE")
        .map((t) => t.value),
    ).toEqual([1]);
    expect(rungView(history, [1, 4, 16], 4).filter((t) => t.state === "COMPLETE")).toHaveLength(4);
  });

  it("wraps any sampler", () => {
    const s = new MultiFidelitySampler(new TpeSampler(0, { nStartupTrials: 2 }), {
      rungs: [1, 4, 16],
      minPoints: 3,
    });
    expect(Object.keys(s.ask(branin2, history))).toEqual(["x0", "x1"]);
  });

  it("has the inner sampler model a qualifying rung at once, not after its own startup count", () => {
    const seen: Array<number | undefined> = [];
    const recorder: Sampler = {
      name: "recorder",
      ask: (_space, _trials, opts?: AskOptions) => {
        seen.push(opts?.nStartupTrials);
        return { x0: 0, x1: 0 };
      },
    };
    new MultiFidelitySampler(recorder, { rungs: [1, 4, 16], minPoints: 3, randomFraction: 0 }).ask(
      branin2,
      history,
    );
    new MultiFidelitySampler(recorder, { rungs: [1, 4, 16], minPoints: 9, randomFraction: 0 }).ask(
      branin2,
      history,
    );
    expect(seen).toEqual([3, undefined]);

    // TPE honours the hint over its default of 10, and its own explicit option over the hint.
    const view = rungView(history, [1, 4, 16], 3);
    const prior = new TpeSampler(0).ask(branin2, view);
    expect(new TpeSampler(0).ask(branin2, view, { nStartupTrials: 3 })).not.toEqual(prior);
    expect(new TpeSampler(0, { nStartupTrials: 10 }).ask(branin2, view, { nStartupTrials: 3 })).toEqual(
      prior,
    );
  });
});
