// Optuna JournalStorage export (export.studyOptuna) on a real Postgres: the journal's operations and
// fields are those Optuna 3.1's JournalStorage replays, and, where Debian's python3-optuna is
// installed, `optuna.load_study` over the file sees every trial as the platform stores it.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerFor, type SeededOrg, seedOrg } from "../test-fixtures";
import { JOURNAL_OP, OPTUNA_TRIAL_STATE, optunaDatetime, pythonJson } from "./optuna-journal";

const PYTHON = "/usr/bin/python3";
const HAS_OPTUNA = spawnSync(PYTHON, ["-c", "import optuna"], { stdio: "ignore" }).status === 0;

let t: TestDatabase;
let seeded: SeededOrg;
let dir: string;
beforeAll(async () => {
  t = await createTestDatabase();
  seeded = await seedOrg(t.db, "optuna");
  dir = mkdtempSync(join(tmpdir(), "hens-optuna-"));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await t?.drop();
});

const SPACE = {
  learning_rate: { type: "float", low: 0.001, high: 0.1, log: true },
  layers: { type: "int", low: 1, high: 4, step: 1, log: false },
  activation: { type: "categorical", choices: ["tanh", "relu"] },
  dropout: { type: "float", low: 0, high: 0.5, log: false, when: [{ param: "activation", in: ["relu"] }] },
};

const at = (s: string) => new Date(`2026-01-01T10:${s}Z`);

interface SeedTrial {
  number: number;
  state: "COMPLETE" | "PRUNED" | "FAIL" | "WAITING";
  params: Record<string, string | number>;
  startedAt?: Date;
  finishedAt?: Date;
  result?: { value: number; L1: number; L2: number; L3: number; phi2: number };
  intermediate?: { step: number; value: number }[];
  error?: string;
  attempt?: number;
}

/** Four trials, one per finished state and one waiting, each with what the platform records. */
async function seedStudy(name: string, sampler: string) {
  const caller = callerFor(t.db, { userId: seeded.users.MEMBER.id });
  const { id } = await caller.study.create({
    org: seeded.org.slug,
    name,
    replicas: 2,
    trials: 1,
    parallelism: 1,
    searchSpace: { activation: { type: "categorical", choices: ["tanh"] } },
  });
  // The space and sampler set on the row: this test is about the export, not creation's checks.
  await t.db.study.update({ where: { id }, data: { searchSpace: SPACE, sampler } });
  await t.db.trial.deleteMany({ where: { studyId: id } });
  const orgId = seeded.org.id;
  const trials: SeedTrial[] = [
    {
      number: 0,
      state: "COMPLETE",
      params: { learning_rate: 0.01, layers: 3, activation: "relu", dropout: 0.25 },
      startedAt: at("00:00.125"),
      finishedAt: at("01:02.5"),
      result: { value: 1.25, L1: 1.25, L2: 1.5, L3: 1.75, phi2: 0.1 },
      intermediate: [
        { step: 1, value: 3.5 },
        { step: 2, value: 2.25 },
      ],
    },
    {
      number: 1,
      state: "PRUNED",
      params: { learning_rate: 0.05, layers: 1, activation: "tanh" },
      startedAt: at("02:00"),
      finishedAt: at("02:30"),
      intermediate: [{ step: 1, value: 1e30 }],
    },
    {
      number: 2,
      state: "FAIL",
      params: { learning_rate: 0.002, layers: 2, activation: "tanh" },
      startedAt: at("03:00"),
      finishedAt: at("03:01"),
      error: "CUDA out of memory",
      attempt: 3,
    },
    { number: 3, state: "WAITING", params: { learning_rate: 0.003, layers: 4, activation: "tanh" } },
  ];
  for (const tr of trials) {
    const row = await t.db.trial.create({
      data: {
        orgId,
        studyId: id,
        number: tr.number,
        state: tr.state,
        params: tr.params,
        startedAt: tr.startedAt ?? null,
        finishedAt: tr.finishedAt ?? null,
        error: tr.error ?? null,
        attempt: tr.attempt ?? 1,
      },
    });
    if (tr.result)
      await t.db.trialResult.create({
        data: {
          trialId: row.id,
          orgId,
          ...tr.result,
          foldChi2: [1.1, 1.4],
          foldPhi2: [0.09, 0.11],
          foldCentralChi2: [1.0, 1.2],
          replicaChi2: [1.2, 1.3],
          closureBias: 0.02,
          epochs: 40,
          backend: "cpu",
          durationSeconds: 62.375,
        },
      });
    for (const iv of tr.intermediate ?? [])
      await t.db.intermediateValue.create({ data: { orgId, trialId: row.id, attempt: 1, ...iv } });
  }
  const { filename, journal } = await caller.export.studyOptuna({ org: seeded.org.slug, studyId: id });
  return { id, filename, journal, trials };
}

/** The platform's view of trial 0's user attributes: every result field but the objective. */
const TRIAL0_ATTRS = {
  L1: 1.25,
  L2: 1.5,
  L3: 1.75,
  phi2: 0.1,
  foldChi2: [1.1, 1.4],
  foldPhi2: [0.09, 0.11],
  foldCentralChi2: [1.0, 1.2],
  replicaChi2: [1.2, 1.3],
  closureBias: 0.02,
  closureVariance: null,
  epochs: 40,
  backend: "cpu",
  durationSeconds: 62.375,
  attempt: 1,
  intermediate_values: "mean_validation_chi2",
};

describe("export.studyOptuna", () => {
  it("writes Optuna's journal operations: study, one user attr per line, one CREATE_TRIAL per trial", async () => {
    const { filename, journal } = await seedStudy("journal structure", "tpe");
    expect(filename).toBe("journal_structure-optuna.log");
    expect(journal.endsWith("\n")).toBe(true);
    const ops = journal
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(ops[0]).toEqual({
      op_code: JOURNAL_OP.CREATE_STUDY,
      worker_id: "hyperensemble-export",
      study_name: "journal structure",
      directions: [1],
    });
    const attrs = ops.filter((o) => o.op_code === JOURNAL_OP.SET_STUDY_USER_ATTR);
    for (const a of attrs) expect(Object.keys(a.user_attr)).toHaveLength(1);
    const studyAttrs = Object.assign({}, ...attrs.map((a) => a.user_attr));
    expect(studyAttrs.intermediate_values).toMatch(/^mean validation χ²/);
    expect(studyAttrs.search_space.dropout.when).toEqual([{ param: "activation", in: ["relu"] }]);

    const created = ops.filter((o) => o.op_code === JOURNAL_OP.CREATE_TRIAL);
    expect(created.map((o) => o.state)).toEqual([
      OPTUNA_TRIAL_STATE.COMPLETE,
      OPTUNA_TRIAL_STATE.PRUNED,
      OPTUNA_TRIAL_STATE.FAIL,
      OPTUNA_TRIAL_STATE.WAITING,
    ]);
    const [done, pruned, failed, waiting] = created;
    expect(done).toMatchObject({
      study_id: 0,
      datetime_start: "2026-01-01T10:00:00.125000",
      datetime_complete: "2026-01-01T10:01:02.500000",
      value: 1.25,
      values: null,
      // Internal representations: a categorical is its index in the choices.
      params: { learning_rate: 0.01, layers: 3, activation: 1, dropout: 0.25 },
      user_attrs: TRIAL0_ATTRS,
      system_attrs: {},
      intermediate_values: { "1": 3.5, "2": 2.25 },
    });
    // Distributions as distribution_to_json's strings, without our conditions.
    expect(JSON.parse(done.distributions.learning_rate)).toEqual({
      name: "FloatDistribution",
      attributes: { step: null, low: 0.001, high: 0.1, log: true },
    });
    expect(JSON.parse(done.distributions.dropout)).not.toHaveProperty("when");
    expect(Object.keys(pruned.distributions).sort()).toEqual(["activation", "layers", "learning_rate"]);
    expect(pruned.intermediate_values).toEqual({ "1": 1e30 });
    expect(pruned.value).toBeNull();
    expect(failed).toMatchObject({
      value: null,
      user_attrs: { attempt: 3, error: "CUDA out of memory" },
      system_attrs: { fail_reason: "CUDA out of memory" },
    });
    expect(waiting.datetime_start).toBeNull();
    expect(waiting).not.toHaveProperty("datetime_complete");
  }, 60_000);

  it("writes both directions and values [L1, phi2] for a multi-objective study", async () => {
    const { journal } = await seedStudy("two objectives", "nsga2");
    const ops = journal.split("\n").filter(Boolean);
    expect(JSON.parse(ops[0]!).directions).toEqual([1, 2]);
    const done = JSON.parse(ops.find((l) => l.includes('"state": 1'))!);
    expect(done).toMatchObject({ value: null, values: [1.25, 0.1] });
  }, 60_000);

  it("writes NaN and infinities as Python's json does", () => {
    expect(pythonJson({ a: [Number.NaN, Number.NEGATIVE_INFINITY, 1.5], b: null })).toBe(
      '{"a": [NaN, -Infinity, 1.5], "b": null}',
    );
    expect(optunaDatetime(new Date("2026-12-03T14:00:05.007Z"))).toBe("2026-12-03T14:00:05.007000");
  });

  it.runIf(HAS_OPTUNA)(
    `opens in optuna.load_study over JournalFileStorage (runs only where ${PYTHON} imports optuna)`,
    async () => {
      for (const [name, sampler] of [
        ["python single", "tpe"],
        ["python multi", "nsga2"],
      ] as const) {
        const { journal, trials } = await seedStudy(name, sampler);
        const path = join(dir, `${sampler}.log`);
        writeFileSync(path, journal);
        const seen = JSON.parse(execFileSync(PYTHON, ["-c", LOAD_STUDY, path, name], { encoding: "utf8" }));
        const multi = sampler === "nsga2";
        expect(seen.directions).toEqual(multi ? ["MINIMIZE", "MAXIMIZE"] : ["MINIMIZE"]);
        expect(seen.user_attrs.datetimes).toBe("UTC");
        expect(seen.trials.map((tr: { state: string }) => tr.state)).toEqual(trials.map((tr) => tr.state));
        const [done, pruned, failed, waiting] = seen.trials;
        expect(done).toEqual({
          number: 0,
          state: "COMPLETE",
          params: trials[0]!.params,
          distributions: ["activation", "dropout", "layers", "learning_rate"],
          values: multi ? [1.25, 0.1] : [1.25],
          intermediate_values: { "1": 3.5, "2": 2.25 },
          user_attrs: TRIAL0_ATTRS,
          system_attrs: {},
          datetime_start: "2026-01-01T10:00:00.125000",
          datetime_complete: "2026-01-01T10:01:02.500000",
        });
        expect(pruned).toMatchObject({
          state: "PRUNED",
          params: trials[1]!.params,
          values: null,
          intermediate_values: { "1": 1e30 },
        });
        expect(failed).toMatchObject({
          state: "FAIL",
          user_attrs: { attempt: 3, error: "CUDA out of memory" },
          system_attrs: { fail_reason: "CUDA out of memory" },
          datetime_complete: "2026-01-01T10:03:01.000000",
        });
        expect(waiting).toMatchObject({ state: "WAITING", datetime_start: null, datetime_complete: null });
        if (!multi) expect(seen.best_trial).toBe(0);
      }
    },
    120_000,
  );
});

/** Loads the journal with Optuna itself and prints what it sees, as JSON (infinities as strings). */
const LOAD_STUDY = `
import json, math, sys, warnings
warnings.simplefilter("ignore")
import optuna
from optuna.storages import JournalStorage, JournalFileStorage
optuna.logging.set_verbosity(optuna.logging.WARNING)
study = optuna.load_study(study_name=sys.argv[2], storage=JournalStorage(JournalFileStorage(sys.argv[1])))
num = lambda v: ("inf" if v > 0 else "-inf") if math.isinf(v) else v
iso = lambda d: d.isoformat(timespec="microseconds") if d else None
print(json.dumps({
  "directions": [d.name for d in study.directions],
  "user_attrs": study.user_attrs,
  "best_trial": study.best_trial.number if len(study.directions) == 1 else None,
  "trials": [{
    "number": t.number, "state": t.state.name, "params": t.params,
    "distributions": sorted(t.distributions), "values": t.values,
    "intermediate_values": {str(k): num(v) for k, v in t.intermediate_values.items()},
    "user_attrs": t.user_attrs, "system_attrs": t.system_attrs,
    "datetime_start": iso(t.datetime_start), "datetime_complete": iso(t.datetime_complete),
  } for t in study.trials],
}))
`;
