// fit.bands and fit.compare over real fits: two fits of one study run by runFit (the runner's part),
// then the bands and the distance as the fit page and the comparison page get them.
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { runFit } from "@hyperensemble/platform";
import { type FitArtifactView, fitBands, fitDistance } from "@hyperensemble/platform/fit-bands";
import { seedFitStudy } from "@hyperensemble/platform/fit-testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerFor, type SeededOrg, seedOrg } from "../test-fixtures";

let tdb: TestDatabase;
let s: SeededOrg;
beforeAll(async () => {
  tdb = await createTestDatabase();
  s = await seedOrg(tdb.db, "fitview");
}, 120_000);
afterAll(async () => {
  await tdb?.drop();
});

describe("fit.bands and fit.compare", () => {
  it("serve the kept replicas' bands, and the distance between two fits' central values", async () => {
    const studyId = await seedFitStudy(tdb.db, s.org.id, s.users.MEMBER.id);
    const member = callerFor(tdb.db, { userId: s.users.MEMBER.id });
    const viewer = callerFor(tdb.db, { userId: s.users.VIEWER.id });
    const org = s.org.slug;
    const a = await member.fit.create({ org, studyId, replicas: 3 });
    const b = await member.fit.create({ org, studyId, replicas: 4, trial: 0 });

    // not yet run: a conflict that names the fit
    await expect(viewer.fit.bands({ org, fitId: a.id })).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(viewer.fit.compare({ org, a: a.id, b: b.id })).rejects.toMatchObject({
      code: "CONFLICT",
      cause: { issues: [{ path: ["a"] }] },
    });

    expect(await runFit(tdb.db, a.id, { backend: "cpu" })).toBe("COMPLETED");
    expect(await runFit(tdb.db, b.id, { backend: "cpu" })).toBe("COMPLETED");
    const rowA = await tdb.db.fit.findUniqueOrThrow({ where: { id: a.id } });
    const rowB = await tdb.db.fit.findUniqueOrThrow({ where: { id: b.id } });

    const got = await viewer.fit.bands({ org, fitId: a.id });
    const expected = fitBands(rowA.artifact as unknown as FitArtifactView);
    expect(got.bands).toEqual(expected);
    expect(got).toMatchObject({ id: a.id, studyId, studyName: "fit source", kept: rowA.kept, replicas: 3 });
    expect(got.bands.replicas).toBe(rowA.kept);
    expect(got.bands.x).toEqual([...got.bands.x].sort((p, q) => p - q));
    // the closure task knows its truth: every output carries it
    expect(got.bands.outputs.every((o) => o.truth?.length === got.bands.x.length)).toBe(true);
    for (const o of got.bands.outputs)
      o.mean.forEach((m, i) => {
        expect(o.lower68[i]).toBeLessThanOrEqual(m + o.sd[i]! + 1e-12);
        expect(o.upper68[i]).toBeGreaterThanOrEqual(o.lower68[i]!);
      });

    const cmp = await viewer.fit.compare({ org, a: a.id, b: b.id });
    expect(cmp.a.id).toBe(a.id);
    expect(cmp.b.trialNumber).toBe(0);
    expect(cmp.distance).toEqual(
      fitDistance(expected, fitBands(rowB.artifact as unknown as FitArtifactView)),
    );
    expect(cmp.distance.outputs.map((o) => o.name)).toEqual(expected.outputs.map((o) => o.name));

    // a fit of another organisation's id, or none, reads as missing
    await expect(viewer.fit.bands({ org, fitId: "nope" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  }, 300_000);
});
