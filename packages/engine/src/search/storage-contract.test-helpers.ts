/**
 * The one contract every TrialStorage keeps (in the manner of Optuna's storage tests, run over every
 * storage): the engine's in-memory store runs it in study.storage.test.ts, the platform's Postgres
 * store in packages/platform/src/storage.test.ts. A fixture hands out two handles on one store so
 * the suite can check what one worker sees of another's writes (the Postgres store caches finished
 * trials per study: it must never serve a stale pending trial).
 */
import { describe, expect, it } from "vitest";
import { createSampler, createScheduler } from "./index.ts";
import { branin, branin2 } from "./samplers/testing.ts";
import { Study, type TrialStorage } from "./study.ts";

export interface StorageFixture {
  /** Two handles on the same store (two workers, two processes). */
  a: TrialStorage;
  b: TrialStorage;
  /** A fresh study id in that store. */
  studyId: string;
}

export function trialStorageContract(name: string, fixture: () => Promise<StorageFixture>): void {
  describe(`TrialStorage contract: ${name}`, () => {
    it("numbers trials densely from 0 and lists them in order, as copies", async () => {
      const { a, studyId } = await fixture();
      const t0 = await a.createTrial(studyId, { x0: 1, x1: 2 }, "WAITING");
      const t1 = await a.createTrial(studyId, { x0: 3, x1: 4 }, "RUNNING");
      expect([t0.number, t1.number]).toEqual([0, 1]);
      expect([t0.state, t1.state]).toEqual(["WAITING", "RUNNING"]);
      const listed = await a.listTrials(studyId);
      expect(listed.map((t) => [t.number, t.params, t.state])).toEqual([
        [0, { x0: 1, x1: 2 }, "WAITING"],
        [1, { x0: 3, x1: 4 }, "RUNNING"],
      ]);
      listed[0]!.params["x0"] = 99;
      expect((await a.listTrials(studyId))[0]!.params["x0"]).toBe(1);
    });

    it("concurrent creates never share a number", async () => {
      const { a, b, studyId } = await fixture();
      const made = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          (i % 2 ? a : b).createTrial(studyId, { x0: i, x1: 0 }, "RUNNING"),
        ),
      );
      expect(made.map((t) => t.number).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    });

    it("claims the oldest WAITING trial once, even when two workers race", async () => {
      const { a, b, studyId } = await fixture();
      await a.createTrial(studyId, { x0: 0, x1: 0 }, "RUNNING");
      await a.createTrial(studyId, { x0: 1, x1: 0 }, "WAITING");
      await a.createTrial(studyId, { x0: 2, x1: 0 }, "WAITING");
      const claims = await Promise.all([
        a.claimWaiting(studyId),
        b.claimWaiting(studyId),
        a.claimWaiting(studyId),
      ]);
      const numbers = claims.map((c) => c?.number);
      expect(numbers.filter((n) => n !== undefined).sort()).toEqual([1, 2]);
      expect(claims.filter((c) => c).every((c) => c!.state === "RUNNING")).toBe(true);
      expect(await b.claimWaiting(studyId)).toBeUndefined();
    });

    it("records values, states and intermediate values (a repeated step overwrites)", async () => {
      const { a, studyId } = await fixture();
      const t = await a.createTrial(studyId, { x0: 0, x1: 0 }, "RUNNING");
      await a.appendIntermediate(studyId, t.number, 1, 5);
      await a.appendIntermediate(studyId, t.number, 2, 4);
      const again = await a.appendIntermediate(studyId, t.number, 2, 3.5);
      expect(again.intermediate).toEqual([
        [1, 5],
        [2, 3.5],
      ]);
      const done = await a.updateTrial(studyId, t.number, { state: "COMPLETE", value: 1.25 });
      expect([done.state, done.value]).toEqual(["COMPLETE", 1.25]);
      const other = await a.createTrial(studyId, { x0: 1, x1: 1 }, "RUNNING");
      const multi = await a.updateTrial(studyId, other.number, { state: "COMPLETE", values: [1, 2] });
      expect(multi.values).toEqual([1, 2]);
      await expect(a.updateTrial(studyId, 99, { state: "FAIL" })).rejects.toThrow(/99/);
    });

    it("one worker sees another's progress on pending trials and each trial's end (the cache never goes stale)", async () => {
      const { a, b, studyId } = await fixture();
      const t = await a.createTrial(studyId, { x0: 0, x1: 0 }, "RUNNING");
      await a.appendIntermediate(studyId, t.number, 1, 9);
      expect((await b.listTrials(studyId))[0]!.intermediate).toEqual([[1, 9]]);
      await a.appendIntermediate(studyId, t.number, 2, 8);
      expect((await b.listTrials(studyId))[0]!.intermediate).toEqual([
        [1, 9],
        [2, 8],
      ]);
      await a.updateTrial(studyId, t.number, { state: "PRUNED" });
      const seen = (await b.listTrials(studyId))[0]!;
      expect([seen.state, seen.intermediate?.length]).toEqual(["PRUNED", 2]);
      // A finished trial read once is served from the cache: the answer stays the same.
      expect((await b.listTrials(studyId))[0]!.state).toBe("PRUNED");
      await b.createTrial(studyId, { x0: 5, x1: 5 }, "WAITING");
      expect((await a.listTrials(studyId)).map((x) => x.state)).toEqual(["PRUNED", "WAITING"]);
    });

    it("drives a Study: ask/tell, pruning decisions and resuming give what the engine's study gives", async () => {
      const { a, b, studyId } = await fixture();
      const scheduler = createScheduler({ name: "asha", gracePeriod: 1, eta: 2, maxT: 8 });
      const study = (storage: TrialStorage) =>
        new Study({
          storage,
          studyId,
          space: branin2,
          sampler: createSampler({ name: "tpe", seed: 4 }),
          scheduler,
        });
      const s = study(a);
      await s.optimize(branin, 12);
      const next = await study(b).ask();
      expect(next.number).toBe(12);
      let pruned = 0;
      for (let i = 0; i < 4; i++) {
        const trial = i === 0 ? next : await s.ask();
        for (let step = 1; step <= 8; step++) {
          if (await s.report(trial.number, step, branin(trial.params) + 10 * (i % 2) - step)) {
            pruned += 1;
            break;
          }
        }
        const after = (await s.trials()).find((t) => t.number === trial.number)!;
        if (after.state !== "PRUNED") await s.tell(trial.number, { value: branin(trial.params) });
      }
      expect(pruned).toBeGreaterThan(0);
      const states = (await study(b).trials()).map((t) => t.state);
      expect(states).toHaveLength(16);
      expect(states.every((st) => st === "COMPLETE" || st === "PRUNED")).toBe(true);
    });
  });
}
