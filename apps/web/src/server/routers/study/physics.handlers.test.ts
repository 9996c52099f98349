// The study reads behind the physics views: closure estimators as sortable trial columns and plot
// points, and the selected trial's result (physics fields, replica χ²) for the physics panel.
import { scopedDb } from "@hyperensemble/db";
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { physicsFieldsSchema } from "@hyperensemble/engine/physics";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedStudy } from "../../../../e2e/seed";
import { orgContext, type SeededOrg, seedOrg } from "../test-fixtures";
import { studyPlotsHandler } from "./plots.handler";
import { studyTrialsHandler } from "./trials.handler";
import { ZStudyTrials } from "./view.schema";

let tdb: TestDatabase;
let a: SeededOrg;
let studyId = "";
beforeAll(async () => {
  tdb = await createTestDatabase();
  a = await seedOrg(tdb.db, "ph");
  studyId = (
    await seedStudy(tdb.db, {
      orgId: a.org.id,
      ownerId: a.users.OWNER.id,
      name: "physics",
      trials: 40,
      seed: 9,
      withPredictions: true,
      withPhysics: true,
    })
  ).id;
});
afterAll(async () => {
  await tdb?.drop();
});

const ctx = () => orgContext(tdb.db, a, "VIEWER", scopedDb(tdb.db, a.org.id));

describe("physics reads", () => {
  it("trials sort by bias, variance and bias/variance in the database, trials without one last", async () => {
    const results = await tdb.db.trialResult.findMany({ where: { orgId: a.org.id } });
    const ratio = (r: { closureBias: number | null; closureVariance: number | null }) =>
      r.closureBias! / r.closureVariance!;
    const want = results.map(ratio).sort((x, y) => x - y);
    const page = await studyTrialsHandler({
      ctx: ctx(),
      input: ZStudyTrials.parse({ studyId, sort: "closureRatio", pageSize: 100 }),
    });
    const got = page.items.filter((t) => t.closureBias !== null).map(ratio);
    expect(got).toEqual(want);
    expect(page.items.slice(got.length).every((t) => t.closureBias === null)).toBe(true);
    const desc = await studyTrialsHandler({
      ctx: ctx(),
      input: ZStudyTrials.parse({ studyId, sort: "bias", dir: "desc", pageSize: 5 }),
    });
    const biases = desc.items.map((t) => t.closureBias!);
    expect(biases).toEqual([...biases].sort((x, y) => y - x));
    expect(biases[0]).toBe(Math.max(...results.map((r) => r.closureBias!)));
  });

  it("an unknown sort is refused naming the field", () => {
    const r = ZStudyTrials.safeParse({ studyId, sort: "closure" });
    expect(r.error?.issues[0]?.message).toMatch(
      /^sort must be one of .*bias, variance, closureRatio, or param:<parameter name>$/,
    );
  });

  it("plots carry the closure estimators per point and the selected trial's physics", async () => {
    const plots = await studyPlotsHandler({ ctx: ctx(), input: { studyId } });
    const complete = plots.points.filter((p) => p.state === "COMPLETE");
    expect(complete.length).toBeGreaterThan(20);
    expect(complete.every((p) => p.closureBias !== null && p.closureVariance !== null)).toBe(true);
    const selected = await tdb.db.trialResult.findFirstOrThrow({
      where: { orgId: a.org.id, trial: { number: plots.selection!.selected.number, studyId } },
    });
    expect(plots.physics?.replicaChi2).toEqual(selected.replicaChi2);
    const fields = physicsFieldsSchema.parse(plots.physics?.predictions);
    expect(fields.subsetChi2?.map((s) => s.name)).toEqual(["DIS_A", "DIS_B", "DY_C"]);
    expect(fields.stoppingEpochs).toHaveLength(16);
  });
});
