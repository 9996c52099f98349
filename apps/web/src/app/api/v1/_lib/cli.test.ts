// The CLI as a new automation user runs it (docs/api.md): HENS_URL + HENS_TOKEN, create a study from
// YAML, follow it to completion, export CSV, JSON and an Optuna journal. Requests go through the real REST handler on a
// real Postgres (fetch is routed in-process instead of over a socket); a simulated runner completes
// trials between polls and the platform's fillQueue schedules the next ones.
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { main } from "@hyperensemble/cli/cli";
import { fillQueue } from "@hyperensemble/platform";
import { describe, expect, it } from "vitest";
import { seedToken } from "../../../../server/routers/test-fixtures";
import { cliIo, restTestHarness } from "./rest-harness.test-helpers";
import { completeWaitingTrials } from "./runner-step.test-helpers";

const h = restTestHarness("cli");
const io = (env: Record<string, string>, onSleep?: () => Promise<void>) => cliIo(h, env, onSleep);

describe("hens CLI", () => {
  it("creates a study from YAML, follows it to completion, exports CSV, JSON and Optuna journal", async () => {
    const { token } = await seedToken(h.tdb.db, {
      orgId: h.s.org.id,
      userId: h.s.users.MEMBER.id,
      scopes: ["studies:read", "studies:write", "exports:read"],
    });
    const env = { HENS_URL: "http://hens.test", HENS_TOKEN: token };
    const dir = await mkdtemp(path.join(tmpdir(), "hens-cli-"));
    const specFile = path.join(dir, "study.yaml");
    await writeFile(
      specFile,
      [
        "name: cli study",
        "replicas: 4",
        "trials: 3",
        "parallelism: 2",
        "sampler: random",
        "searchSpace:",
        "  learning_rate: { type: float, low: 0.001, high: 0.03, log: true }",
        "  activation: { type: categorical, choices: [tanh, sigmoid] }",
        "",
      ].join("\n"),
    );

    const create = io(env);
    expect(await main(["study", "create", "-f", specFile], create.io), create.err()).toBe(0);
    const studyId = create.out().trim();
    expect(studyId).toMatch(/^c[a-z0-9]+$/);

    const follow = io(env, () => completeWaitingTrials(h.tdb.db, h.enqueuer, h.s.org.id, studyId));
    // --poll: this runner only moves between polls (the pushed follow is tested in cli-package.test.ts).
    expect(
      await main(["study", "follow", studyId, "--poll", "--interval", "0"], follow.io),
      follow.err(),
    ).toBe(0);
    const lines = follow.out().trim().split("\n");
    expect(lines.filter((l) => l.startsWith("trial "))).toHaveLength(3);
    expect(lines.at(-1)).toBe("cli study: COMPLETED 3/3 done, 0 running, best 1.00000");

    const csvFile = path.join(dir, "trials.csv");
    const exportCsv = io(env);
    expect(await main(["study", "export", studyId, "--format", "csv", "-o", csvFile], exportCsv.io)).toBe(0);
    const csv = (await readFile(csvFile, "utf8")).trim().split("\n");
    expect(csv[0]).toBe(
      "number,value,datetime_start,datetime_complete,duration,params_activation,params_learning_rate,user_attrs_L1,user_attrs_L2,user_attrs_L3,user_attrs_phi2,state",
    );
    expect(csv).toHaveLength(4);
    expect(csv[1]).toMatch(/,0 days 00:00:01\.500000,/);

    const exportJson = io(env);
    expect(await main(["study", "export", studyId, "--format", "json"], exportJson.io)).toBe(0);
    const doc = JSON.parse(exportJson.out());
    expect(doc.distributions.learning_rate).toEqual({
      name: "FloatDistribution",
      attributes: { step: null, low: 0.001, high: 0.03, log: true },
    });
    expect(doc.distributions.activation).toEqual({
      name: "CategoricalDistribution",
      attributes: { choices: ["tanh", "sigmoid"] },
    });
    expect(doc.trials.map((t: { state: string }) => t.state)).toEqual(["COMPLETE", "COMPLETE", "COMPLETE"]);

    // Optuna's JournalStorage file, as `optuna-dashboard study.log` opens it (optuna.test.ts loads one).
    const journalFile = path.join(dir, "study.log");
    const exportOptuna = io(env);
    expect(
      await main(["study", "export", studyId, "--format", "optuna", "-o", journalFile], exportOptuna.io),
    ).toBe(0);
    const ops = (await readFile(journalFile, "utf8"))
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(ops[0]).toMatchObject({ op_code: 0, study_name: "cli study", directions: [1] });
    expect(ops.filter((o) => o.op_code === 4).map((o) => o.state)).toEqual([1, 1, 1]);
    const badFormat = io(env);
    expect(await main(["study", "export", studyId, "--format", "sqlite"], badFormat.io)).toBe(2);
    expect(badFormat.err()).toContain("--format must be csv, json, optuna");
  });

  it("reports API errors with the field, a nested one by its path (searchSpace.learning_rate.low), and a missing token plainly", async () => {
    const { token } = await seedToken(h.tdb.db, {
      orgId: h.s.org.id,
      userId: h.s.users.MEMBER.id,
      scopes: ["studies:write", "studies:read"],
    });
    const dir = await mkdtemp(path.join(tmpdir(), "hens-cli-"));
    const specFile = path.join(dir, "bad.json");
    await writeFile(specFile, JSON.stringify({ name: "bad", replicas: 0, trials: 2 }));
    const bad = io({ HENS_URL: "http://hens.test", HENS_TOKEN: token, HENS_ORG: h.s.org.slug });
    expect(await main(["study", "create", "-f", specFile], bad.io)).toBe(3);
    expect(bad.err()).toContain("error 400 BAD_REQUEST");
    expect(bad.err()).toContain("replicas: replicas must be at least 1");
    // A field inside the search space is named by its full path, as REST and the form name it.
    const spaceFile = path.join(dir, "bad-space.json");
    const badSpace = {
      name: "bad space",
      replicas: 2,
      trials: 2,
      searchSpace: { learning_rate: { type: "float", low: 0, high: 0.1, log: true } },
    };
    await writeFile(spaceFile, JSON.stringify(badSpace));
    const studies = await h.tdb.db.study.count({ where: { orgId: h.s.org.id } });
    const space = io({ HENS_URL: "http://hens.test", HENS_TOKEN: token, HENS_ORG: h.s.org.slug });
    expect(await main(["study", "create", "-f", spaceFile], space.io)).toBe(3);
    expect(space.err()).toContain("error 400 BAD_REQUEST");
    expect(space.err()).toMatch(/^ {2}searchSpace\.learning_rate\.low: must be > 0 when log is true$/m);
    expect(space.out()).toBe("");
    expect(await h.tdb.db.study.count({ where: { orgId: h.s.org.id } })).toBe(studies);
    const noToken = io({ HENS_URL: "http://hens.test" });
    expect(await main(["study", "list"], noToken.io)).toBe(2);
    expect(noToken.err()).toContain("HENS_TOKEN is not set");
  });

  it("follow exits 1 when every trial failed (FAILED); get --name, enqueue and delete a study", async () => {
    const { token } = await seedToken(h.tdb.db, {
      orgId: h.s.org.id,
      userId: h.s.users.MEMBER.id,
      scopes: ["studies:read", "studies:write"],
    });
    const env = { HENS_URL: "http://hens.test", HENS_TOKEN: token, HENS_ORG: h.s.org.slug };
    const dir = await mkdtemp(path.join(tmpdir(), "hens-cli-"));
    const specFile = path.join(dir, "failing.yaml");
    await writeFile(
      specFile,
      "name: cli failing\nreplicas: 2\ntrials: 2\nparallelism: 2\nsearchSpace:\n  dropout: { type: float, low: 0, high: 0.5 }\n",
    );
    const create = io(env);
    expect(await main(["study", "create", "-f", specFile], create.io), create.err()).toBe(0);
    const studyId = create.out().trim();

    const byName = io(env);
    expect(await main(["study", "get", "--name", "cli failing"], byName.io), byName.err()).toBe(0);
    expect(byName.out().trim()).toBe(studyId);
    const missing = io(env);
    expect(await main(["study", "get", "--name", "no such study"], missing.io)).toBe(1);

    const configs = path.join(dir, "configs.yaml");
    await writeFile(configs, "- { dropout: 0.1 }\n- { dropout: 0.1 }\n");
    const enqueue = io(env);
    expect(await main(["study", "enqueue", studyId, "-f", configs], enqueue.io), enqueue.err()).toBe(0);
    expect(enqueue.out().trim().split("\n")).toHaveLength(1);
    expect(enqueue.err()).toContain("1 already in the study: skipped");

    // A runner on which every trial fails.
    const failAll = async () => {
      await h.tdb.db.trial.updateMany({
        where: { orgId: h.s.org.id, studyId, state: "WAITING" },
        data: { state: "FAIL", error: "boom", finishedAt: new Date() },
      });
      await fillQueue(h.tdb.db, h.enqueuer, { orgId: h.s.org.id, studyId });
    };
    const follow = io(env, failAll);
    expect(
      await main(["study", "follow", studyId, "--poll", "--interval", "0"], follow.io),
      follow.err(),
    ).toBe(1);
    expect(follow.out().trim().split("\n").at(-1)).toBe("cli failing: FAILED 3/3 done, 0 running, best -");
    const list = io(env);
    expect(await main(["study", "list"], list.io)).toBe(0);
    expect(list.out()).toContain(`${studyId}  FAILED       3/3 (3 failed)`);

    const del = io(env);
    expect(await main(["study", "delete", studyId], del.io), del.err()).toBe(0);
    expect(del.out().trim()).toBe(`${studyId}  deleted with 3 trials`);
    expect(await h.tdb.db.study.count({ where: { id: studyId } })).toBe(0);
  });

  it("tags, untags, notes and archives a study (issue 20); a bad tag is a 400 naming the field", async () => {
    const { token } = await seedToken(h.tdb.db, {
      orgId: h.s.org.id,
      userId: h.s.users.MEMBER.id,
      scopes: ["studies:read", "studies:write"],
    });
    const env = { HENS_URL: "http://hens.test", HENS_TOKEN: token, HENS_ORG: h.s.org.slug };
    const study = await h.tdb.db.study.create({
      data: {
        orgId: h.s.org.id,
        ownerId: h.s.users.MEMBER.id,
        name: "cli team",
        state: "RUNNING",
        task: { kind: "closure", level: 2 },
        searchSpace: {},
        ensemble: { replicas: 2, folds: 2 },
        training: { maxEpochs: 10, reportEvery: 1 },
        seed: 1,
        maxTrials: 1,
      },
    });
    const run = async (...argv: string[]) => {
      const r = io(env);
      const code = await main(argv, r.io);
      return { code, out: r.out().trim(), err: r.err() };
    };
    expect(await run("study", "tag", study.id, "Baseline", "nnpdf4")).toMatchObject({
      code: 0,
      out: "baseline nnpdf4",
    });
    expect(await run("study", "untag", study.id, "baseline")).toMatchObject({ code: 0, out: "nnpdf4" });
    const bad = await run("study", "tag", study.id, "a;b");
    expect(bad.code).toBe(3);
    expect(bad.err).toContain("add.0:");
    expect((await run("study", "tag", study.id)).code).toBe(2);
    expect(await run("study", "note", study.id, "diverges", "at", "seed", "5")).toMatchObject({
      code: 0,
      out: "note saved (18 characters)",
    });
    expect((await run("study", "archive", study.id)).out).toMatch(/^archived \d{4}-/);
    const row = await h.tdb.db.study.findFirstOrThrow({ where: { id: study.id, orgId: h.s.org.id } });
    expect([row.tags, row.note, row.state, row.archivedAt !== null]).toEqual([
      ["nnpdf4"],
      "diverges at seed 5",
      "RUNNING",
      true,
    ]);
    expect(await run("study", "unarchive", study.id)).toMatchObject({ code: 0, out: "not archived" });
    expect(await run("study", "note", study.id, "")).toMatchObject({ code: 0, out: "note removed" });
  });
});
