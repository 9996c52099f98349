// Fixed settings end to end through REST (issue 14): a study created with `fixed` stores them apart
// from its space, every trial's training spec carries them beside the sampled params, GET and the
// exports show them, a clone keeps them, and an external study's ask hands them out with `params`.
import { buildTrialSpec, parseStudyRow } from "@hyperensemble/platform";
import { describe, expect, it } from "vitest";
import { seedToken } from "../../../../server/routers/test-fixtures";
import { restTestHarness } from "./rest-harness.test-helpers";
import { completeWaitingTrials } from "./runner-step.test-helpers";

const h = restTestHarness("fixed");
const fixed = { optimizer: "sgd", dropout: 0.1 };
const lr = { type: "float", low: 0.001, high: 0.03, log: true };

async function client() {
  const { token } = await seedToken(h.tdb.db, {
    orgId: h.s.org.id,
    userId: h.s.users.MEMBER.id,
    scopes: ["studies:read", "studies:write", "exports:read", "trials:write"],
  });
  const base = `http://hens.test/api/v1/orgs/${h.s.org.slug}`;
  return async (method: string, path: string, body?: unknown) => {
    const res = await h.fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    const isJson = res.headers.get("content-type")?.includes("application/json");
    return { status: res.status, json: isJson ? JSON.parse(text) : undefined, text };
  };
}

const spec = (name: string, trials: number) => ({ name, replicas: 2, trials, parallelism: trials });

describe("fixed settings over REST", () => {
  it("reach every trial's training spec, GET, the exports and a clone", async () => {
    const api = await client();
    const created = await api("POST", "/studies", {
      ...spec("fixed rest", 3),
      sampler: "random",
      searchSpace: { learning_rate: lr, n_layers: { type: "int", low: 1, high: 2 } },
      fixed,
    });
    expect(created.status, created.text).toBe(201);
    const studyId = created.json.id as string;

    const got = await api("GET", `/studies/${studyId}`);
    expect(got.status).toBe(200);
    expect(got.json.study.fixed).toEqual(fixed);

    // What a runner trains: the trial's sampled params (never a fixed name) and the fixed settings.
    const row = await h.tdb.db.study.findFirstOrThrow({ where: { id: studyId, orgId: h.s.org.id } });
    const waiting = await h.tdb.db.trial.findMany({ where: { studyId, orgId: h.s.org.id } });
    expect(waiting).toHaveLength(3);
    for (const trial of waiting) {
      const sampled = trial.params as Record<string, unknown>;
      expect(Object.keys(sampled).sort()).toEqual(["learning_rate", "n_layers"]);
      const spec = buildTrialSpec(row, trial);
      expect(spec.params).toEqual({ ...sampled, optimizer: "sgd", dropout: 0.1 });
    }
    await completeWaitingTrials(h.tdb.db, h.enqueuer, h.s.org.id, studyId);

    const json = await api("GET", `/studies/${studyId}/export?format=json`);
    expect(json.status, json.text).toBe(200);
    expect(json.json.user_attrs.fixed).toEqual(fixed);
    const journal = await api("GET", `/studies/${studyId}/export?format=optuna`);
    expect(journal.status).toBe(200);
    const studyAttrs = journal.text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { op_code: number; user_attr?: Record<string, unknown> })
      .filter((op) => op.user_attr && "fixed" in op.user_attr);
    expect(studyAttrs.map((op) => op.user_attr?.["fixed"])).toEqual([fixed]);

    const clone = await api("POST", `/studies/${studyId}/clone`, {});
    expect(clone.status, clone.text).toBe(201);
    const copy = await h.tdb.db.study.findFirstOrThrow({ where: { id: clone.json.id, orgId: h.s.org.id } });
    expect(parseStudyRow(copy).fixed).toEqual(fixed);
  });

  it("an external study's ask carries the fixed settings beside the sampled params", async () => {
    const api = await client();
    const created = await api("POST", "/studies", {
      ...spec("fixed external", 1),
      executor: "external",
      searchSpace: { lr: lr },
      // The external code's own names: not the platform trainer's, so not checked against it.
      fixed: { epochs: 30, arch: "resnet" },
    });
    expect(created.status, created.text).toBe(201);
    const ask = await api("POST", `/studies/${created.json.id}/ask`, {});
    expect(ask.status, ask.text).toBe(200);
    expect(Object.keys(ask.json.trial.params)).toEqual(["lr"]);
    expect(ask.json.trial.fixed).toEqual({ epochs: 30, arch: "resnet" });
    // Still refused: a name both searched and fixed, and a value that is no scalar.
    const both = await api("POST", "/studies", {
      ...spec("fixed external bad", 1),
      executor: "external",
      searchSpace: { lr: lr },
      fixed: { lr: 0.01, arch: ["a"] },
    });
    expect(both.status).toBe(400);
    expect(both.json.error.fieldErrors["fixed.lr"]).toMatch(/also in searchSpace/);
    expect(both.json.error.fieldErrors["fixed.arch"]).toMatch(/must be a number, a string or a boolean/);
  });
});
