// Study states and management through tRPC and REST on a real Postgres (issue 14): a study whose
// trials all failed ends FAILED, one with some failures says how many; enqueue known configurations
// (deduplicated, checked by name); warm-start from another study's results; find by name; delete
// (refused with a 409 naming why while a runner holds one of its trials; audited).
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { fillQueue, readProposalHistory } from "@hyperensemble/platform";
import { fieldErrors } from "@hyperensemble/platform/schema";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleRestRequest } from "../../../app/api/v1/_lib/handler";
import { callerFor, RecordingEnqueuer, requestContext, type SeededOrg, seedOrg } from "../test-fixtures";

let t: TestDatabase;
let s: SeededOrg;
let other: SeededOrg;
beforeAll(async () => {
  t = await createTestDatabase();
  s = await seedOrg(t.db, "manage");
  other = await seedOrg(t.db, "other");
});
afterAll(async () => t?.drop());

const SPACE = {
  learning_rate: { type: "float", low: 0.001, high: 0.1, log: true },
  activation: { type: "categorical", choices: ["tanh", "relu"] },
};
const member = () => callerFor(t.db, { userId: s.users.MEMBER.id });
const create = (over: Record<string, unknown> = {}) =>
  member().study.create({
    org: s.org.slug,
    name: `study-${Math.random().toString(36).slice(2, 8)}`,
    replicas: 2,
    trials: 2,
    parallelism: 2,
    seed: 5,
    searchSpace: SPACE,
    ...over,
  } as never);

/** A runner's outcome for every WAITING trial, then the platform's refill (which ends the study). */
async function finishAll(studyId: string, outcome: (n: number) => number | "FAIL") {
  const orgId = s.org.id;
  for (const trial of await t.db.trial.findMany({ where: { orgId, studyId, state: "WAITING" } })) {
    const result = outcome(trial.number);
    await t.db.trial.update({
      where: { id: trial.id },
      data: { state: result === "FAIL" ? "FAIL" : "COMPLETE", finishedAt: new Date() },
    });
    if (result !== "FAIL")
      await t.db.trialResult.create({
        data: {
          trialId: trial.id,
          orgId,
          value: result,
          L1: result,
          L2: result,
          L3: result,
          phi2: 0.1,
          epochs: 10,
          backend: "cpu",
          durationSeconds: 1,
        },
      });
  }
  await fillQueue(t.db, new RecordingEnqueuer(), { orgId, studyId });
}

const rest = (method: string, path: string, body?: unknown) =>
  handleRestRequest(
    new Request(`http://hens.test/api/v1/orgs/${s.org.slug}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    }),
    { createContext: async (req) => ({ ...requestContext(t.db, { userId: s.users.MEMBER.id }), req }) },
  );

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => "OK",
    (e: unknown) => (e instanceof TRPCError ? e.code : String(e)),
  );

describe("study states", () => {
  it("a study whose trials all failed ends FAILED; one with some failures COMPLETED, counted per state", async () => {
    const failed = await create({ name: "all failed" });
    await finishAll(failed.id, () => "FAIL");
    const mixed = await create({ name: "one failed" });
    await finishAll(mixed.id, (n) => (n === 0 ? "FAIL" : 1.5));
    const { items } = await member().study.list({ org: s.org.slug, q: "failed" });
    const byName = Object.fromEntries(items.map((i) => [i.name, i]));
    expect(byName["all failed"]).toMatchObject({ state: "FAILED", trialCounts: { FAIL: 2, COMPLETE: 0 } });
    expect(byName["one failed"]).toMatchObject({ state: "COMPLETED", trialCounts: { FAIL: 1, COMPLETE: 1 } });
    // A FAILED study takes more trials, like a COMPLETED one.
    await member().study.addTrials({ org: s.org.slug, studyId: failed.id, count: 1 });
    expect((await t.db.study.findFirstOrThrow({ where: { id: failed.id } })).state).toBe("RUNNING");
  });
});

describe("find by name", () => {
  it("REST: ?name= is exact, ?q= contains", async () => {
    await create({ name: "scan alpha" });
    await create({ name: "scan alpha 2" });
    const exact = (await (await rest("GET", "/studies?name=scan%20alpha")).json()) as {
      items: { name: string }[];
    };
    expect(exact.items.map((i) => i.name)).toEqual(["scan alpha"]);
    const contains = (await (await rest("GET", "/studies?q=alpha")).json()) as { items: { name: string }[] };
    expect(contains.items.map((i) => i.name).sort()).toEqual(["scan alpha", "scan alpha 2"]);
  });
});

describe("enqueue configurations", () => {
  it("creates each new configuration once, skips the ones the study has, names a bad value's field", async () => {
    const { id } = await create({ trials: 1, parallelism: 1 });
    const given = [
      { learning_rate: 0.01, activation: "tanh" },
      { activation: "tanh", learning_rate: 0.01 },
      { learning_rate: 0.05, activation: "relu" },
    ];
    const res = await member().study.enqueue({ org: s.org.slug, studyId: id, configurations: given });
    expect(res).toMatchObject({ created: 2, duplicates: 1 });
    const again = await member().study.enqueue({ org: s.org.slug, studyId: id, configurations: [given[2]!] });
    expect(again).toMatchObject({ created: 0, duplicates: 1 });
    const trials = await t.db.trial.findMany({ where: { studyId: id }, orderBy: { number: "asc" } });
    expect(trials.map((tr) => tr.params).slice(1)).toEqual([given[0], given[2]]);
    expect((await t.db.study.findFirstOrThrow({ where: { id } })).maxTrials).toBe(3);

    const bad = await rest("POST", `/studies/${id}/enqueue`, {
      configurations: [{ learning_rate: 0.5, activation: "tanh" }],
    });
    expect(bad.status).toBe(400);
    const { error } = (await bad.json()) as { error: { fieldErrors: Record<string, string> } };
    expect(error.fieldErrors["configurations.0.learning_rate"]).toMatch(/outside its domain/);
    expect(await t.db.trial.count({ where: { studyId: id } })).toBe(3);
  });
});

describe("warm start", () => {
  it("another study's completed results that fit the space lead the sampler's history", async () => {
    const source = await create({ name: "source", trials: 12, parallelism: 12, sampler: "random" });
    await finishAll(source.id, (n) => 1 + ((n * 7) % 12) / 10);
    // One more completed trial outside the new space (relu is not offered there): left out.
    const narrow = {
      learning_rate: { type: "float", low: 0.001, high: 0.1, log: true },
      activation: { type: "categorical", choices: ["tanh"] },
    };
    const warm = await create({
      sampler: "tpe",
      searchSpace: narrow,
      warmStartFrom: source.id,
      trials: 1,
      parallelism: 1,
    });
    const cold = await create({ sampler: "tpe", searchSpace: narrow, trials: 1, parallelism: 1 });
    const row = await t.db.study.findFirstOrThrow({ where: { id: warm.id } });
    const sourceTrials = await t.db.trial.findMany({
      where: { studyId: source.id },
      include: { result: true },
    });
    const fitting = sourceTrials.filter((tr) => (tr.params as { activation: string }).activation === "tanh");
    expect(fitting.length).toBeGreaterThan(0);
    expect((row.warmStart as unknown[]).length).toBe(fitting.length);
    // Same seed and space: only the warm start's history can make the first proposals differ.
    const first = async (studyId: string) =>
      (await t.db.trial.findFirstOrThrow({ where: { studyId, number: 0 } })).params;
    expect(await first(warm.id)).not.toEqual(await first(cold.id));
    const history = await readProposalHistory(t.db, { orgId: s.org.id, studyId: warm.id });
    expect(history!.trials.filter((tr) => tr.number < 0)).toHaveLength(fitting.length);
  });

  it("refuses another organisation's study and a study with nothing that fits, naming warmStartFrom", async () => {
    const theirs = await callerFor(t.db, { userId: other.users.MEMBER.id }).study.create({
      org: other.org.slug,
      name: "theirs",
      replicas: 2,
      trials: 1,
      searchSpace: SPACE,
    } as never);
    const empty = await create({ name: "nothing completed", trials: 1, parallelism: 1 });
    for (const [from, message] of [
      [theirs.id, /study not found in this organization/],
      [empty.id, /none of that study's 0 completed trials lies in this search space/],
    ] as const) {
      const before = await t.db.study.count({ where: { orgId: s.org.id } });
      const err = await create({ warmStartFrom: from }).then(
        () => undefined,
        (e: unknown) => e as TRPCError,
      );
      expect(err?.code).toBe("BAD_REQUEST");
      expect(fieldErrors(err!.cause as never)["warmStartFrom"]).toMatch(message);
      expect(await t.db.study.count({ where: { orgId: s.org.id } })).toBe(before);
    }
  });
});

describe("delete", () => {
  it("is refused with a 409 naming why while a runner holds a trial, then deletes the study with its trials", async () => {
    const { id } = await create({ name: "to delete" });
    const [held] = await t.db.trial.findMany({ where: { studyId: id }, orderBy: { number: "asc" } });
    await t.db.trial.update({ where: { id: held!.id }, data: { state: "RUNNING", startedAt: new Date() } });
    const refused = await rest("POST", `/studies/${id}/delete`);
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(
      /1 trial RUNNING on runners: cancel it first/,
    );
    expect(await t.db.trial.count({ where: { studyId: id } })).toBe(2);
    expect(
      await codeOf(
        callerFor(t.db, { userId: s.users.VIEWER.id }).study.delete({ org: s.org.slug, studyId: id }),
      ),
    ).toBe("FORBIDDEN");

    await t.db.trial.update({ where: { id: held!.id }, data: { state: "FAIL", finishedAt: new Date() } });
    const res = await member().study.delete({ org: s.org.slug, studyId: id });
    expect(res).toEqual({ id, deleted: true, trials: 2 });
    expect(await t.db.study.count({ where: { id } })).toBe(0);
    expect(await t.db.trial.count({ where: { studyId: id } })).toBe(0);
    const audit = await t.db.auditEvent.findFirstOrThrow({
      where: { orgId: s.org.id, action: "study.delete", target: id },
    });
    expect(audit.data).toMatchObject({ name: "to delete", trials: 2 });
    expect(await codeOf(member().study.delete({ org: s.org.slug, studyId: id }))).toBe("NOT_FOUND");
  });
});
