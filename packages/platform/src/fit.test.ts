import type { Db } from "@hyperensemble/db";
import { createTestDatabase } from "@hyperensemble/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StudyInputError } from "./errors.ts";
import { fitTrialParams as params, seedFitOrg } from "./fit.test-helpers.ts";
import { createFit, type FitSummary, fitExport, nextQueuedFit, requeueStaleFits, runFit } from "./fit.ts";
import { readMember } from "./fitLhapdf.test-helpers.ts";
import { MAX_FIT_REPLICAS } from "./fitSchema.ts";
import type { FitWeights } from "./fitWeights.ts";
import { setOrgLimits } from "./limits.ts";

let db: Db;
let drop: () => Promise<void>;
let orgId: string;
let ownerId: string;
let studyId: string;

beforeAll(async () => {
  const t = await createTestDatabase();
  db = t.db;
  drop = t.drop;
  const seeded = await seedFitOrg(db, "fit@test.local");
  orgId = seeded.org.id;
  ({ ownerId, studyId } = seeded);
}, 120_000);
afterAll(async () => drop());

describe("fits", () => {
  it("refuses bad input by field: replicas, an unknown study or trial, another org's study", async () => {
    await expect(createFit(db, { orgId, ownerId, input: { studyId, replicas: 0 } })).rejects.toThrow(
      /replicas/,
    );
    await expect(createFit(db, { orgId, ownerId, input: { studyId, replicas: 1001 } })).rejects.toThrow(
      /replicas: at most 1000 replicas per fit \(HENS_FIT_MAX_REPLICAS\); asked for 1001/,
    );
    await expect(createFit(db, { orgId, ownerId, input: { studyId: "nope", replicas: 2 } })).rejects.toThrow(
      StudyInputError,
    );
    await expect(
      createFit(db, { orgId, ownerId, input: { studyId, trial: 9, replicas: 2 } }),
    ).rejects.toThrow(/^trial: /);
    const other = await db.organization.create({ data: { slug: "fit-other", name: "Other" } });
    await expect(
      createFit(db, { orgId: other.id, ownerId, input: { studyId, replicas: 2 } }),
    ).rejects.toThrow(/^studyId: /);
  });

  it("takes more replicas where the organisation's limit is raised (GPU runners), up to the schema's ceiling", async () => {
    const { slug } = await db.organization.findUniqueOrThrow({
      where: { id: orgId },
      select: { slug: true },
    });
    await setOrgLimits(db, slug, { maxFitReplicas: 5000 });
    try {
      const big = await createFit(db, { orgId, ownerId, input: { studyId, replicas: 5000 } });
      expect(big.replicas).toBe(5000);
      await db.fit.delete({ where: { id: big.id } });
      await expect(createFit(db, { orgId, ownerId, input: { studyId, replicas: 5001 } })).rejects.toThrow(
        /replicas: at most 5000 replicas per fit \(this organisation's override\)/,
      );
      await expect(
        createFit(db, { orgId, ownerId, input: { studyId, replicas: MAX_FIT_REPLICAS + 1 } }),
      ).rejects.toThrow(/replicas/);
    } finally {
      await setOrgLimits(db, slug, { maxFitReplicas: null });
    }
  });

  it("fits the selected configuration: claims once, trains R replicas, stores the outcome, exports", async () => {
    const fit = await createFit(db, { orgId, ownerId, input: { studyId, replicas: 4 } });
    expect(fit).toMatchObject({ state: "QUEUED", trialNumber: 1, replicas: 4, params: params(1) });
    expect(await nextQueuedFit(db)).toBe(fit.id);
    // two claims at once: exactly one runs it
    const [a, b] = await Promise.all([runFit(db, fit.id, { backend: "cpu" }), runFit(db, fit.id)]);
    expect([a, b].filter((s) => s === null)).toHaveLength(1);
    expect([a, b]).toContain("COMPLETED");
    const row = await db.fit.findUniqueOrThrow({ where: { id: fit.id } });
    expect(row.state).toBe("COMPLETED");
    expect(row.progress).toBe(1);
    expect(row.startedAt).not.toBeNull();
    expect(row.finishedAt).not.toBeNull();
    expect(row.runnerSeconds).toBeGreaterThan(0);
    expect((row.kept ?? 0) + (row.discarded ?? 0)).toBe(4);
    expect(row.kept).toBeGreaterThan(0);
    const summary = row.outcome as unknown as FitSummary;
    expect(summary.replicas).toHaveLength(4);
    for (const r of summary.replicas) {
      expect(Number.isFinite(r.chi2)).toBe(true);
      expect(r.trainingEpochs).toBeGreaterThanOrEqual(0);
      expect(r.trainingEpochs).toBeLessThanOrEqual(30);
    }
    expect(summary.datasets.length).toBeGreaterThan(0);
    expect(summary.datasets.every((d) => Number.isFinite(d.chi2) && d.nPoints > 0)).toBe(true);
    expect(Number.isFinite(summary.phi2)).toBe(true);
    expect(summary.kept).toBe(row.kept);
    expect(await nextQueuedFit(db)).toBeNull();

    // LHAPDF: member 0 is the kept replicas' mean of x·f, members 1..kept the replicas, as stored
    const { files } = fitExport(row, "lhapdf") as { files: Record<string, string> };
    const name = `hens_${fit.id}`;
    expect(Object.keys(files).sort()).toEqual(
      [
        `${name}.info`,
        ...Array.from({ length: row.kept! + 1 }, (_, m) => `${name}_${String(m).padStart(4, "0")}.dat`),
      ].sort(),
    );
    const art = row.artifact as unknown as {
      outputs: number[][];
      x: number[];
      selection: { kept: number[] };
    };
    const F = summary.outputNames.length;
    const kept = art.selection.kept;
    const m1 = readMember(files[`${name}_0001.dat`]!);
    const m0 = readMember(files[`${name}_0000.dat`]!);
    for (let ix = 0; ix < m1.xs.length; ix++) {
      const g = art.x.indexOf(art.x.slice().sort((p, q) => p - q)[ix]!);
      for (let f = 0; f < F; f++) {
        const xs = m1.xs[ix]!;
        expect(m1.xf(ix, 0, f)).toBeCloseTo(xs * art.outputs[kept[0]!]![g * F + f]!, 6);
        const mean = kept.reduce((s, r) => s + art.outputs[r]![g * F + f]!, 0) / kept.length;
        expect(m0.xf(ix, 0, f)).toBeCloseTo(xs * mean, 6);
      }
    }
    // weights: one entry per kept replica (fitWeights.test.ts checks the evaluator against the model)
    const w = fitExport(row, "weights") as unknown as FitWeights;
    expect(w.format).toBe("hyperensemble-weights/1");
    expect(w.replicas).toHaveLength(row.kept!);
    const json = fitExport(row, "json") as { outputs: number[][] };
    expect(json.outputs).toHaveLength(4);
    // every replica discarded: no set to export, said by field
    const none = { ...row, artifact: { ...art, selection: { ...art.selection, kept: [] } } };
    expect(() => fitExport(none, "lhapdf")).toThrow(/^fitId: no replica passed/);
  }, 300_000);

  it("a named trial is fitted with its params; a fit that fails to train is FAILED with the error", async () => {
    const fit = await createFit(db, { orgId, ownerId, input: { studyId, trial: 2, replicas: 2 } });
    expect(fit.params).toEqual(params(2));
    await db.fit.update({ where: { id: fit.id }, data: { params: { n_layers: "x" } } });
    expect(await runFit(db, fit.id)).toBe("FAILED");
    const row = await db.fit.findUniqueOrThrow({ where: { id: fit.id } });
    expect(row.state).toBe("FAILED");
    expect(row.error).toMatch(/n_layers/);
    expect(() => fitExport(row, "lhapdf")).toThrow(/^fitId: fit is FAILED/);
  }, 120_000);

  it("a runner's shutdown hands its fit back; a stalled runner's RUNNING fit is requeued", async () => {
    const fit = await createFit(db, { orgId, ownerId, input: { studyId, replicas: 2 } });
    const runner = await db.runner.create({ data: { name: "r", device: {}, backend: "cpu" } });
    const aborted = new AbortController();
    aborted.abort();
    expect(await runFit(db, fit.id, { runnerId: runner.id, signal: aborted.signal })).toBe("QUEUED");
    expect(await db.fit.findUniqueOrThrow({ where: { id: fit.id } })).toMatchObject({
      state: "QUEUED",
      runnerId: null,
      startedAt: null,
    });

    const now = new Date();
    const stale = await db.runner.create({
      data: { name: "stale", device: {}, backend: "cpu", heartbeatAt: new Date(now.getTime() - 120_000) },
    });
    await db.fit.update({ where: { id: fit.id }, data: { state: "RUNNING", runnerId: runner.id } });
    const other = await createFit(db, { orgId, ownerId, input: { studyId, replicas: 2 } });
    await db.fit.update({ where: { id: other.id }, data: { state: "RUNNING", runnerId: stale.id } });
    expect(await requeueStaleFits(db, 60_000, now)).toBe(1);
    expect((await db.fit.findUniqueOrThrow({ where: { id: fit.id } })).state).toBe("RUNNING");
    expect(await db.fit.findUniqueOrThrow({ where: { id: other.id } })).toMatchObject({
      state: "QUEUED",
      runnerId: null,
    });
    await db.fit.deleteMany({ where: { id: { in: [fit.id, other.id] } } });
  }, 120_000);
});
