import { scopedDb } from "@hyperensemble/db";
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { selectConfiguration } from "@hyperensemble/engine";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedStudy } from "../../../../e2e/seed";
import { orgContext, type SeededOrg, seedOrg } from "../test-fixtures";
import { compareStudiesHandler } from "./compare.handler";
import { studyOverviewHandler } from "./overview.handler";
import { studyPlotsHandler } from "./plots.handler";
import { listStudiesHandler } from "./read.handler";
import { bestSoFar, studySelection } from "./selection";
import { studyTrialsHandler } from "./trials.handler";
import { ZStudyTrials } from "./view.schema";

let tdb: TestDatabase;
let a: SeededOrg;
let b: SeededOrg;
let studyA = "";
let studyB = "";
beforeAll(async () => {
  tdb = await createTestDatabase();
  a = await seedOrg(tdb.db, "va");
  b = await seedOrg(tdb.db, "vb");
  studyA = (
    await seedStudy(tdb.db, { orgId: a.org.id, ownerId: a.users.OWNER.id, name: "A", trials: 120, seed: 5 })
  ).id;
  studyB = (
    await seedStudy(tdb.db, { orgId: b.org.id, ownerId: b.users.OWNER.id, name: "B", trials: 30, seed: 6 })
  ).id;
});
afterAll(async () => {
  await tdb?.drop();
});

const ctxA = () => orgContext(tdb.db, a, "VIEWER", scopedDb(tdb.db, a.org.id));
const trialsInput = (input: object) => ZStudyTrials.parse({ studyId: studyA, ...input });

async function codeOf(promise: Promise<unknown>) {
  try {
    await promise;
    return "OK";
  } catch (err) {
    if (err instanceof TRPCError) return err.code;
    throw err;
  }
}

describe("study read procedures", () => {
  it("the SQL selection equals the engine's selectConfiguration", async () => {
    const rows = await tdb.db.trial.findMany({
      where: { orgId: a.org.id, studyId: studyA, state: "COMPLETE" },
      orderBy: { number: "asc" },
      include: { result: true },
    });
    const engine = selectConfiguration(
      rows.map((t) => ({ id: t.id, L1: t.result!.L1, phi2: t.result!.phi2 })),
    );
    const sql = await studySelection(ctxA(), studyA);
    expect(sql?.argmin.id).toBe(engine.argmin);
    expect(sql?.selected.id).toBe(engine.selected);
    expect(sql?.window[0]).toBeCloseTo(engine.window[0], 12);
    expect(sql?.window[1]).toBeCloseTo(engine.window[1], 12);
    const numberOf = new Map(rows.map((t) => [t.id, t.number]));
    expect(sql?.top10).toEqual(engine.top10.map((id) => numberOf.get(id)));
  });

  it("best so far only ever improves", async () => {
    const steps = await bestSoFar(ctxA(), studyA);
    expect(steps.length).toBeGreaterThan(1);
    for (let i = 1; i < steps.length; i++) {
      expect(steps[i]!.number).toBeGreaterThan(steps[i - 1]!.number);
      expect(steps[i]!.value).toBeLessThan(steps[i - 1]!.value);
    }
  });

  it("overview counts states and reports the selection", async () => {
    const o = await studyOverviewHandler({ ctx: ctxA(), input: { studyId: studyA } });
    expect(o.done).toBe(120);
    expect(o.counts["FAIL"]).toBe(5);
    expect(o.counts["COMPLETE"]! + o.counts["PRUNED"]! + o.counts["FAIL"]!).toBe(120);
    expect(o.selection?.window[0]).toBe(o.selection?.argmin.L1);
  });

  it("trials: sorted, filtered and paged in the database", async () => {
    const ctx = ctxA();
    const byL1 = await studyTrialsHandler({ ctx, input: trialsInput({ sort: "L1", pageSize: 10 }) });
    const l1 = byL1.items.map((t) => t.L1!);
    expect(l1).toEqual([...l1].sort((x, y) => x - y));
    expect(byL1.total).toBe(120);
    const sel = await studySelection(ctx, studyA);
    expect(byL1.items[0]!.id).toBe(sel?.argmin.id);

    const desc = await studyTrialsHandler({
      ctx,
      input: trialsInput({ sort: "number", dir: "desc", page: 1, pageSize: 25 }),
    });
    expect(desc.items.map((t) => t.number)).toEqual(Array.from({ length: 25 }, (_, i) => 94 - i));

    const failed = await studyTrialsHandler({ ctx, input: trialsInput({ state: "FAIL" }) });
    expect(failed.total).toBe(5);
    expect(failed.items.every((t) => t.state === "FAIL" && t.L1 === null)).toBe(true);

    const tanh = await studyTrialsHandler({
      ctx,
      input: trialsInput({ param: "activation=tanh", pageSize: 200 }),
    });
    expect(tanh.total).toBeGreaterThan(0);
    expect(tanh.items.every((t) => t.params["activation"] === "tanh")).toBe(true);
    const layers = await studyTrialsHandler({
      ctx,
      input: trialsInput({ param: "n_layers=2", pageSize: 200 }),
    });
    expect(layers.items.every((t) => t.params["n_layers"] === 2)).toBe(true);
    expect(() => trialsInput({ param: "no equals sign" })).toThrow(/name=value/);
  });

  it("another org's study is NOT_FOUND from every read procedure", async () => {
    const ctx = ctxA();
    expect(await codeOf(studyOverviewHandler({ ctx, input: { studyId: studyB } }))).toBe("NOT_FOUND");
    expect(await codeOf(studyTrialsHandler({ ctx, input: trialsInput({ studyId: studyB }) }))).toBe(
      "NOT_FOUND",
    );
    expect(await codeOf(studyPlotsHandler({ ctx, input: { studyId: studyB } }))).toBe("NOT_FOUND");
    expect(await codeOf(compareStudiesHandler({ ctx, input: { studyIds: [studyA, studyB] } }))).toBe(
      "NOT_FOUND",
    );
    const list = await listStudiesHandler({ ctx, input: { take: 50, sort: "createdAt", dir: "desc" } });
    expect(list.items.map((s) => s.id)).toEqual([studyA]);
  });

  it("plots thin large studies but keep the best", async () => {
    const p = await studyPlotsHandler({ ctx: ctxA(), input: { studyId: studyA } });
    expect(p.total).toBe(120);
    expect(p.points).toHaveLength(120);
    expect(p.history.at(-1)?.value).toBe(p.selection?.argmin.L1);
    expect(Object.keys(p.importance).sort()).toEqual(["activation", "learning_rate", "n_layers", "units_1"]);
  });

  it("the studies list sorts by best L1 and filters by name", async () => {
    const ctx = ctxA();
    await seedStudy(tdb.db, {
      orgId: a.org.id,
      ownerId: a.users.OWNER.id,
      name: "A second",
      trials: 5,
      seed: 8,
    });
    const sorted = await listStudiesHandler({ ctx, input: { take: 50, sort: "bestL1", dir: "asc" } });
    const best = sorted.items.map((s) => s.bestL1!);
    expect(best).toEqual([...best].sort((x, y) => x - y));
    expect(sorted.total).toBe(2);
    expect(sorted.items.every((s) => s.selectedPhi2 !== null)).toBe(true);
    const named = await listStudiesHandler({
      ctx,
      input: { take: 50, sort: "name", dir: "asc", q: "second" },
    });
    expect(named.items.map((s) => s.name)).toEqual(["A second"]);
    const literal = await listStudiesHandler({ ctx, input: { take: 50, sort: "name", dir: "asc", q: "%" } });
    expect(literal.items).toEqual([]);
    // "My studies": the owner sees both, the viewer (who owns none) none.
    const owner = orgContext(tdb.db, a, "OWNER", scopedDb(tdb.db, a.org.id));
    const mine = { take: 50, sort: "name", dir: "asc", mine: true } as const;
    expect((await listStudiesHandler({ ctx: owner, input: mine })).total).toBe(2);
    expect((await listStudiesHandler({ ctx, input: mine })).items).toEqual([]);
  });
});
