// External trials over REST, end to end from Node as a user's script drives them: a token with
// trials:write asks, reads the study's points, reports (and is told to prune), and tells the
// ensemble's predictions; the platform's L1 and φ² equal a float64 reference from the same numbers.
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { buildClosureTask } from "@hyperensemble/engine";
import { predictionsFor, referenceLosses } from "@hyperensemble/platform/external-testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authenticateBearer } from "../../../../server/auth/token";
import {
  RecordingEnqueuer,
  requestContext,
  type SeededOrg,
  seedOrg,
  seedToken,
} from "../../../../server/routers/test-fixtures";
import type { Context } from "../../../../server/trpc";
import { handleRestRequest } from "./handler";

let tdb: TestDatabase;
let a: SeededOrg;
let b: SeededOrg;
const enqueuer = new RecordingEnqueuer();

async function createContext(req: Request): Promise<Context> {
  const principal = await authenticateBearer(tdb.db, req);
  return { ...requestContext(tdb.db, principal, enqueuer), req };
}

async function rest(method: string, path: string, token: string, body?: unknown) {
  const res = await handleRestRequest(
    new Request(`http://hens.test/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    }),
    { createContext },
  );
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are probed field by field in assertions
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

let tokenA: string;
let tokenB: string;
let readOnlyA: string;

beforeAll(async () => {
  tdb = await createTestDatabase();
  a = await seedOrg(tdb.db, "xa");
  b = await seedOrg(tdb.db, "xb");
  const scopes = ["studies:read", "studies:write", "trials:write"] as const;
  tokenA = (await seedToken(tdb.db, { orgId: a.org.id, userId: a.users.MEMBER.id, scopes: [...scopes] }))
    .token;
  tokenB = (await seedToken(tdb.db, { orgId: b.org.id, userId: b.users.MEMBER.id, scopes: [...scopes] }))
    .token;
  readOnlyA = (
    await seedToken(tdb.db, { orgId: a.org.id, userId: a.users.MEMBER.id, scopes: ["studies:read"] })
  ).token;
});
afterAll(async () => {
  await tdb?.drop();
});

describe("external trials over REST", () => {
  it("ask, points, report and prune, tell predictions: L1 and φ² equal the float64 reference; exactly once; tenancy", async () => {
    const org = a.org.slug;
    const created = await rest("POST", `/orgs/${org}/studies`, tokenA, {
      name: "external over REST",
      executor: "external",
      task: { kind: "closure", level: 0 },
      replicas: 4,
      folds: 2,
      trials: 3,
      parallelism: 2,
      seed: 5,
      scheduler: "asha",
    });
    expect(created.status).toBe(201);
    const studyId = created.body["id"] as string;
    const first = await rest("POST", `/orgs/${org}/studies/${studyId}/ask`, tokenA, {
      worker: "node-1",
      leaseSeconds: 120,
    });
    const second = await rest("POST", `/orgs/${org}/studies/${studyId}/ask`, tokenA, {});
    expect([first.status, second.status]).toEqual([200, 200]);
    const t1 = first.body["trial"];
    const t2 = second.body["trial"];
    expect(t1).toMatchObject({
      number: 0,
      ensemble: { replicas: 4, folds: 2, maxEpochs: 400 },
      task: { kind: "closure", level: 0 },
    });
    expect(t1.lease.heartbeatSeconds).toBe(40);
    expect((await rest("POST", `/orgs/${org}/studies/${studyId}/ask`, tokenA, {})).body).toEqual({
      trial: null,
      reason: "all-leased",
    });
    expect(enqueuer.jobs).toEqual([]);

    // Scope and tenancy: a token without trials:write is refused; org B's token never finds A's trial.
    expect(
      (await rest("POST", `/orgs/${org}/trials/${t1.id}/heartbeat`, readOnlyA, { leaseId: t1.lease.id }))
        .status,
    ).toBe(403);
    for (const path of [
      `/orgs/${org}/trials/${t1.id}/heartbeat`,
      `/orgs/${b.org.slug}/trials/${t1.id}/heartbeat`,
    ])
      expect((await rest("POST", path, tokenB, { leaseId: t1.lease.id })).status).toBe(404);
    expect((await rest("POST", `/orgs/${b.org.slug}/studies/${studyId}/ask`, tokenB, {})).status).toBe(404);
    expect(
      (
        await rest("POST", `/orgs/${b.org.slug}/trials/${t1.id}/tell`, tokenB, {
          leaseId: t1.lease.id,
          state: "FAIL",
        })
      ).status,
    ).toBe(404);

    const beat = await rest("POST", `/orgs/${org}/trials/${t1.id}/heartbeat`, tokenA, {
      leaseId: t1.lease.id,
    });
    expect(beat.status).toBe(200);
    expect(Date.parse(beat.body["expiresAt"])).toBeGreaterThanOrEqual(Date.parse(t1.lease.expiresAt));
    const report = (trial: typeof t1, value: number) =>
      rest("POST", `/orgs/${org}/trials/${trial.id}/report`, tokenA, {
        leaseId: trial.lease.id,
        step: 1,
        value,
      });
    expect((await report(t1, 1)).body).toEqual({ prune: false });
    expect((await report(t2, 40)).body).toEqual({ prune: true });
    const pruned = await rest("POST", `/orgs/${org}/trials/${t2.id}/tell`, tokenA, {
      leaseId: t2.lease.id,
      state: "PRUNED",
    });
    expect(pruned.body).toMatchObject({ id: t2.id, state: "PRUNED" });
    const stale = await rest("POST", `/orgs/${org}/trials/${t2.id}/report`, tokenA, {
      leaseId: t2.lease.id,
      step: 2,
      value: 1,
    });
    expect([stale.status, stale.body["error"]["message"]]).toEqual([409, "stale lease"]);

    const points = await rest("GET", `/orgs/${org}/studies/${studyId}/points?trialId=${t1.id}`, tokenA);
    expect(points.status).toBe(200);
    expect(points.body["folds"]).toHaveLength(2);
    expect(points.body["inputs"]).toHaveLength(points.body["nPoints"]);
    const predictions = predictionsFor(points.body["central"], points.body["errors"], 4, 2, 7);
    const tell = { leaseId: t1.lease.id, state: "COMPLETE", predictions: { folds: predictions } };
    const told = await rest("POST", `/orgs/${org}/trials/${t1.id}/tell`, tokenA, tell);
    expect(told.status).toBe(200);
    const ds = buildClosureTask(0, 5).dataset;
    const reference = referenceLosses((i, j) => ds.cov.entry(i, j), points.body as never, predictions);
    for (const [got, want] of [
      [told.body["result"]["L1"], reference.L1],
      [told.body["result"]["phi2"], reference.phi2],
      [told.body["value"], reference.L1],
    ] as const)
      expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want)));
    // A repeated identical tell answers the same; a different one on the same lease is refused.
    const again = await rest("POST", `/orgs/${org}/trials/${t1.id}/tell`, tokenA, tell);
    expect([again.status, again.body]).toEqual([200, told.body]);
    const other = await rest("POST", `/orgs/${org}/trials/${t1.id}/tell`, tokenA, {
      ...tell,
      state: "FAIL",
      predictions: undefined,
    });
    expect(other.status).toBe(409);
    // A tell that does not fit names the field.
    const third = (await rest("POST", `/orgs/${org}/studies/${studyId}/ask`, tokenA, {})).body["trial"];
    const bad = await rest("POST", `/orgs/${org}/trials/${third.id}/tell`, tokenA, {
      leaseId: third.lease.id,
      state: "COMPLETE",
      predictions: { folds: [{ replicas: [[1, 2]] }, { replicas: [[1, 2]] }] },
    });
    expect([bad.status, bad.body["error"]["message"]]).toEqual([
      400,
      "predictions.folds.0.replicas: has 1 entries, the study has 4 replicas",
    ]);
  });
  it("tell per-replica χ² per fold: L1, L2, L3, φ² and the selection equal an independent float64 computation (METHOD.md §4)", async () => {
    const org = a.org.slug;
    const created = await rest("POST", `/orgs/${org}/studies`, tokenA, {
      name: "external chi2 tells",
      executor: "external",
      task: { kind: "closure", level: 0 },
      replicas: 4,
      folds: 3,
      trials: 4,
      parallelism: 4,
      seed: 9,
    });
    expect(created.status).toBe(201);
    const studyId = created.body["id"] as string;
    const asked: { id: string; lease: { id: string } }[] = [];
    for (let i = 0; i < 4; i++)
      asked.push((await rest("POST", `/orgs/${org}/studies/${studyId}/ask`, tokenA, {})).body["trial"]);

    // Four trials: level b (≈ L1) and spread p (≈ φ²), with noise. Designed so that the selection
    // (largest φ² within one std of the best L1) is not the argmin: A is best, B is within the
    // window with a wider ensemble, C is outside it, D is inside with less spread than B.
    const levels = [
      { b: 1.0, p: 0.1 },
      { b: 1.2, p: 0.5 },
      { b: 3.0, p: 0.9 },
      { b: 1.5, p: 0.3 },
    ];
    let state = 12345;
    const noise = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return (state / 2 ** 31 - 0.5) * 0.2;
    };
    const tells = levels.map(({ b, p }) => ({
      folds: [0, 1, 2].map(() => {
        const heldOut = [0, 1, 2, 3].map(() => b + noise());
        const meanHeldOut = heldOut.reduce((x, y) => x + y, 0) / heldOut.length;
        return {
          train: heldOut.map((v) => v * 0.8),
          validation: heldOut.map((v) => v * 0.9),
          heldOut,
          central: meanHeldOut - p - noise() / 4,
        };
      }),
    }));

    // A tell without the central χ² cannot give φ²: a 400 naming the field, nothing stored.
    const { central: _dropped, ...noCentral } = tells[0]!.folds[0]!;
    const refused = await rest("POST", `/orgs/${org}/trials/${asked[0]!.id}/tell`, tokenA, {
      leaseId: asked[0]!.lease.id,
      state: "COMPLETE",
      chi2: { folds: [noCentral, ...tells[0]!.folds.slice(1)] },
    });
    expect([refused.status, refused.body["error"]["message"]]).toEqual([
      400,
      "chi2.folds.0.central: is required: the χ² of the ensemble's central prediction, from which φ² is computed",
    ]);

    // The reference, written from METHOD.md §4 and nothing of the platform's: with k > 1 folds the
    // per-replica χ² of fold k is its held-out χ²; ⟨χ²_k⟩ is their mean, φ²_k = ⟨χ²_k⟩ − χ²_k[⟨T⟩];
    // L1 = mean_k ⟨χ²_k⟩, L2 = max_k ⟨χ²_k⟩, L3 = 1 / mean_k φ²_k, φ² = mean_k φ²_k.
    const avg = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
    const reference = tells.map((tell) => {
      const foldChi2 = tell.folds.map((f) => avg(f.heldOut));
      const foldPhi2 = tell.folds.map((f, k) => foldChi2[k]! - f.central);
      return {
        L1: avg(foldChi2),
        L2: Math.max(...foldChi2),
        L3: 1 / avg(foldPhi2),
        phi2: avg(foldPhi2),
        foldChi2,
        foldPhi2,
      };
    });
    const close = (got: number, want: number) =>
      expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want)));
    for (const [i, trial] of asked.entries()) {
      const told = await rest("POST", `/orgs/${org}/trials/${trial.id}/tell`, tokenA, {
        leaseId: trial.lease.id,
        state: "COMPLETE",
        chi2: tells[i],
      });
      expect(told.status, JSON.stringify(told.body)).toBe(200);
      const want = reference[i]!;
      for (const key of ["L1", "L2", "L3", "phi2"] as const) close(told.body["result"][key], want[key]);
      close(told.body["value"], want.L1);
    }

    // Selection (METHOD.md §4): the trials with L1 in [min L1, min L1 + std(L1)] (std over all
    // completed trials, population), the one of those with the largest φ².
    const l1 = reference.map((r) => r.L1);
    const best = Math.min(...l1);
    const sd = Math.sqrt(avg(l1.map((x) => (x - avg(l1)) ** 2)));
    const inWindow = reference.map((r, i) => ({ ...r, id: asked[i]!.id })).filter((r) => r.L1 <= best + sd);
    const selected = inWindow.reduce((x, y) => (y.phi2 > x.phi2 ? y : x));
    const argmin = asked[l1.indexOf(best)]!.id;
    expect([argmin, selected.id]).toEqual([asked[0]!.id, asked[1]!.id]); // the design above holds
    const study = await rest("GET", `/orgs/${org}/studies/${studyId}`, tokenA);
    expect(study.status).toBe(200);
    expect(study.body["selection"]).toMatchObject({ argmin, selected: selected.id });
    close(study.body["selection"]["window"][1], best + sd);
    const stored = await tdb.db.trialResult.findMany({ where: { trialId: { in: asked.map((t) => t.id) } } });
    for (const [i, trial] of asked.entries()) {
      const row = stored.find((r) => r.trialId === trial.id)!;
      for (const key of ["foldChi2", "foldPhi2"] as const) {
        const got = row[key] as number[];
        expect(got).toHaveLength(3);
        for (const [k, v] of got.entries()) close(v, reference[i]![key][k]!);
      }
    }
  });
});
