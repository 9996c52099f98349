// Tags, notes and archive on studies and trials, and saved comparisons (issue 20), through tRPC and
// REST on a real Postgres: viewers read, members write, limits and charset with the field named,
// audit events, the studies list filtered by tag and archive, comparisons with deleted studies.
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleRestRequest } from "../../../app/api/v1/_lib/handler";
import { MAX_TAGS, NOTE_MAX_CHARS, TAG_MAX_LENGTH } from "../../../lib/team-limits";
import { callerFor, requestContext, type SeededOrg, seedOrg } from "../test-fixtures";
import { applyTagChange } from "./handlers";

let t: TestDatabase;
let s: SeededOrg;
let other: SeededOrg;
beforeAll(async () => {
  t = await createTestDatabase();
  s = await seedOrg(t.db, "team");
  other = await seedOrg(t.db, "other");
});
afterAll(async () => t?.drop());

const member = () => callerFor(t.db, { userId: s.users.MEMBER.id });
const viewer = () => callerFor(t.db, { userId: s.users.VIEWER.id });

async function seedStudy(org: SeededOrg, name: string, state: "QUEUED" | "RUNNING" = "QUEUED") {
  const study = await t.db.study.create({
    data: {
      orgId: org.org.id,
      ownerId: org.users.MEMBER.id,
      name,
      state,
      task: { kind: "closure", level: 2 },
      searchSpace: { lr: { type: "float", low: 0.001, high: 0.1, log: true } },
      ensemble: { replicas: 2, folds: 2 },
      training: { maxEpochs: 10, reportEvery: 1 },
      seed: 1,
      maxTrials: 2,
    },
  });
  await t.db.trial.create({
    data: { orgId: org.org.id, studyId: study.id, number: 0, params: { lr: 0.01 } },
  });
  return study;
}

async function failure(promise: Promise<unknown>) {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TRPCError);
  const e = err as TRPCError;
  const issues = (e.cause as { issues?: { path: (string | number)[]; message: string }[] } | undefined)
    ?.issues;
  return { code: e.code, message: e.message, paths: (issues ?? []).map((i) => i.path.join(".")) };
}

const rest = (method: "GET" | "POST", path: string, body?: unknown, userId = s.users.MEMBER.id) =>
  handleRestRequest(
    new Request(`http://hens.test/api/v1/orgs/${s.org.slug}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    }),
    { createContext: async (req) => ({ ...requestContext(t.db, { userId }), req }) },
  );

describe("applyTagChange", () => {
  it("removes, then adds in order without repeats", () => {
    expect(applyTagChange(["a", "b", "c"], { add: ["d", "a", "d"], remove: ["b"] })).toEqual(["a", "c", "d"]);
    expect(applyTagChange([], { add: [], remove: ["x"] })).toEqual([]);
  });
});

describe("study tags and notes", () => {
  it("members tag (lower-cased, deduplicated, atomic add/remove); viewers read; each write is audited", async () => {
    const study = await seedStudy(s, "tagged");
    const org = s.org.slug;
    expect(
      await member().team.tagStudy({ org, studyId: study.id, add: ["NNPDF4", "baseline", "nnpdf4"] }),
    ).toEqual({
      id: study.id,
      tags: ["nnpdf4", "baseline"],
    });
    // Two people at once: both changes land (the row is locked for each).
    await Promise.all([
      member().team.tagStudy({ org, studyId: study.id, add: ["closure"] }),
      callerFor(t.db, { userId: s.users.OWNER.id }).team.tagStudy({ org, studyId: study.id, add: ["l2"] }),
    ]);
    const after = await member().team.tagStudy({ org, studyId: study.id, remove: ["baseline"] });
    expect([...after.tags].sort()).toEqual(["closure", "l2", "nnpdf4"]);
    expect(
      await member().team.noteStudy({ org, studyId: study.id, note: "Seed 5 diverges; see trial #3." }),
    ).toEqual({ id: study.id, note: "Seed 5 diverges; see trial #3." });
    const seen = await viewer().study.overview({ org, studyId: study.id });
    expect(seen.study.note).toBe("Seed 5 diverges; see trial #3.");
    expect([...seen.study.tags].sort()).toEqual(["closure", "l2", "nnpdf4"]);
    // Viewers cannot write.
    expect((await failure(viewer().team.tagStudy({ org, studyId: study.id, add: ["x"] }))).code).toBe(
      "FORBIDDEN",
    );
    expect((await failure(viewer().team.noteStudy({ org, studyId: study.id, note: "x" }))).code).toBe(
      "FORBIDDEN",
    );
    // An empty note removes it.
    expect((await member().team.noteStudy({ org, studyId: study.id, note: "  " })).note).toBeNull();
    const events = await t.db.auditEvent.findMany({
      where: { orgId: s.org.id, target: study.id },
      orderBy: { createdAt: "asc" },
    });
    expect(events.map((e) => e.action)).toEqual([
      "study.tag",
      "study.tag",
      "study.tag",
      "study.tag",
      "study.note",
      "study.note",
    ]);
    expect(events[4]?.data).toEqual({ chars: 30 });
    const tags = await viewer().team.studyTags({ org });
    expect(tags.tags).toEqual(
      expect.arrayContaining([
        { tag: "closure", studies: 1 },
        { tag: "nnpdf4", studies: 1 },
      ]),
    );
  });

  it("limits and charset, each error naming its field", async () => {
    const study = await seedStudy(s, "limits");
    const org = s.org.slug;
    const tooLong = await failure(
      member().team.tagStudy({ org, studyId: study.id, add: ["x".repeat(TAG_MAX_LENGTH + 1)] }),
    );
    expect(tooLong.code).toBe("BAD_REQUEST");
    expect(tooLong.paths).toEqual(["add.0"]);
    expect(tooLong.message).toMatch(/at most 40 characters/);
    expect(
      await member().team.tagStudy({ org, studyId: study.id, add: ["x".repeat(TAG_MAX_LENGTH)] }),
    ).toBeTruthy();
    for (const bad of ["two words", "-leading", "semi;colon", "<b>", ""]) {
      const e = await failure(member().team.tagStudy({ org, studyId: study.id, add: [bad] }));
      expect([...new Set(e.paths)], bad).toEqual(["add.0"]);
    }
    expect((await failure(member().team.tagStudy({ org, studyId: study.id }))).paths).toEqual(["add"]);
    // Non-Latin letters are letters: χ2 is a tag.
    expect((await member().team.tagStudy({ org, studyId: study.id, add: ["χ2-fit"] })).tags).toContain(
      "χ2-fit",
    );
    // At most MAX_TAGS on one object, however they arrive.
    const many = Array.from({ length: MAX_TAGS - 2 }, (_, i) => `t${i}`);
    await member().team.tagStudy({ org, studyId: study.id, add: many });
    const over = await failure(member().team.tagStudy({ org, studyId: study.id, add: ["one-more"] }));
    expect(over.paths).toEqual(["add"]);
    expect(over.message).toMatch(/at most 20 tags/);
    const tooMany = await failure(
      member().team.tagStudy({
        org,
        studyId: study.id,
        add: Array.from({ length: MAX_TAGS + 1 }, (_, i) => `n${i}`),
      }),
    );
    expect(tooMany.paths).toEqual(["add"]);
    // Removing still works when full.
    expect((await member().team.tagStudy({ org, studyId: study.id, remove: ["t0"] })).tags).toHaveLength(
      MAX_TAGS - 1,
    );
    const longNote = await failure(
      member().team.noteStudy({ org, studyId: study.id, note: "n".repeat(NOTE_MAX_CHARS + 1) }),
    );
    expect(longNote.paths).toEqual(["note"]);
    expect(
      (await member().team.noteStudy({ org, studyId: study.id, note: "n".repeat(NOTE_MAX_CHARS) })).note,
    ).toHaveLength(NOTE_MAX_CHARS);
  });

  it("another org's study reads as missing, and is left as it was", async () => {
    const theirs = await seedStudy(other, "theirs");
    const org = s.org.slug;
    expect((await failure(member().team.tagStudy({ org, studyId: theirs.id, add: ["x"] }))).code).toBe(
      "NOT_FOUND",
    );
    expect(
      (await failure(member().team.noteTrial({ org, studyId: theirs.id, number: 0, note: "x" }))).code,
    ).toBe("NOT_FOUND");
    expect(
      (await failure(member().team.archiveStudy({ org, studyId: theirs.id, archived: true }))).code,
    ).toBe("NOT_FOUND");
    const row = await t.db.study.findFirstOrThrow({ where: { id: theirs.id, orgId: other.org.id } });
    expect([row.tags, row.note, row.archivedAt]).toEqual([[], null, null]);
  });
});

describe("trial tags and notes", () => {
  it("tag and note one trial; study.trial shows them; REST does the same", async () => {
    const study = await seedStudy(s, "trials");
    const org = s.org.slug;
    expect(
      (await member().team.tagTrial({ org, studyId: study.id, number: 0, add: ["Outlier"] })).tags,
    ).toEqual(["outlier"]);
    await member().team.noteTrial({ org, studyId: study.id, number: 0, note: "diverged at epoch 40" });
    const trial = await viewer().study.trial({ org, studyId: study.id, number: 0 });
    expect([trial.tags, trial.note]).toEqual([["outlier"], "diverged at epoch 40"]);
    expect(
      (await failure(member().team.noteTrial({ org, studyId: study.id, number: 7, note: "x" }))).code,
    ).toBe("NOT_FOUND");
    const res = await rest("POST", `/studies/${study.id}/trials/0/tags`, {
      add: ["rerun"],
      remove: ["outlier"],
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ tags: ["rerun"] });
    const bad = await rest("POST", `/studies/${study.id}/trials/0/note`, { note: 5 });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain("note must be text");
    const audit = await t.db.auditEvent.findMany({
      where: { orgId: s.org.id, action: { startsWith: "trial." } },
    });
    expect(audit.map((e) => e.action).sort()).toEqual(["trial.note", "trial.tag", "trial.tag"]);
  });
});

describe("archive and the studies list", () => {
  it("archived studies leave the default list, a filter shows them, unarchive brings them back; running ones keep running", async () => {
    const org = s.org.slug;
    const running = await seedStudy(s, "archive-running", "RUNNING");
    const kept = await seedStudy(s, "archive-kept");
    await member().team.tagStudy({ org, studyId: running.id, add: ["old-run"] });
    await member().team.tagStudy({ org, studyId: kept.id, add: ["old-run"] });
    const archived = await member().team.archiveStudy({ org, studyId: running.id, archived: true });
    expect(archived.archivedAt).toBeInstanceOf(Date);
    // Archiving twice keeps the first date and writes one event.
    expect(
      (await member().team.archiveStudy({ org, studyId: running.id, archived: true })).archivedAt,
    ).toEqual(archived.archivedAt);
    expect((await t.db.study.findFirstOrThrow({ where: { id: running.id, orgId: s.org.id } })).state).toBe(
      "RUNNING",
    );
    const ids = async (input: Record<string, unknown>) =>
      (await viewer().study.list({ org, take: 100, ...input })).items.map((i) => i.id);
    expect(await ids({})).not.toContain(running.id);
    expect(await ids({})).toContain(kept.id);
    expect(await ids({ archived: "only" })).toEqual([running.id]);
    expect(await ids({ archived: "all", tag: "old-run" })).toEqual([kept.id, running.id]);
    expect(await ids({ tag: "OLD-RUN" })).toEqual([kept.id]);
    expect(await ids({ tag: "none-such" })).toEqual([]);
    // A name lookup (hens study get --name) finds archived studies too.
    expect(await ids({ name: "archive-running" })).toEqual([running.id]);
    const listed = (await viewer().study.list({ org, archived: "only" })).items[0];
    expect(listed?.tags).toEqual(["old-run"]);
    expect(listed?.archivedAt).toBeInstanceOf(Date);
    expect((await failure(viewer().study.list({ org, tag: "bad tag" }))).paths).toEqual(["tag"]);
    await member().team.archiveStudy({ org, studyId: running.id, archived: false });
    expect(await ids({})).toContain(running.id);
    const actions = await t.db.auditEvent.findMany({
      where: { orgId: s.org.id, target: running.id, action: { in: ["study.archive", "study.unarchive"] } },
      orderBy: { createdAt: "asc" },
    });
    expect(actions.map((a) => a.action)).toEqual(["study.archive", "study.unarchive"]);
    // REST: the list filters by ?tag and ?archived.
    const res = await rest("GET", "/studies?tag=old-run&archived=all");
    expect(res.status).toBe(200);
    expect(((await res.json()) as { items: { id: string }[] }).items.map((i) => i.id).sort()).toEqual(
      [kept.id, running.id].sort(),
    );
  });
});

describe("saved comparisons", () => {
  it("saved by a member, listed and opened by everyone in the org; deleted studies read as missing", async () => {
    const org = s.org.slug;
    const [x, y, z] = [await seedStudy(s, "cmp-x"), await seedStudy(s, "cmp-y"), await seedStudy(s, "cmp-z")];
    const saved = await member().comparison.create({
      org,
      name: "  L2 vs L1 closure ",
      studyIds: [y.id, x.id, z.id],
      options: { metric: "L1" },
    });
    expect(saved.name).toBe("L2 vs L1 closure");
    const opened = await viewer().comparison.get({ org, comparisonId: saved.id });
    expect(opened.studies.map((st) => st.id)).toEqual([y.id, x.id, z.id]);
    expect(opened.options).toEqual({ metric: "L1" });
    expect(opened.missing).toEqual([]);
    expect(opened.createdBy).toBe(s.users.MEMBER.email);
    await t.db.study.delete({ where: { id: x.id } });
    const later = await viewer().comparison.get({ org, comparisonId: saved.id });
    expect(later.studies.map((st) => st.id)).toEqual([y.id, z.id]);
    expect(later.missing).toEqual([x.id]);
    const listed = await viewer().comparison.list({ org });
    expect(listed.items.find((c) => c.id === saved.id)).toMatchObject({ studies: 2, missing: 1 });
    // Same name again: a conflict naming the field.
    const again = await failure(
      member().comparison.create({ org, name: "L2 vs L1 closure", studyIds: [y.id, z.id] }),
    );
    expect([again.code, again.paths]).toEqual(["CONFLICT", ["name"]]);
    expect((await failure(viewer().comparison.create({ org, name: "v", studyIds: [y.id, z.id] }))).code).toBe(
      "FORBIDDEN",
    );
    expect((await failure(viewer().comparison.delete({ org, comparisonId: saved.id }))).code).toBe(
      "FORBIDDEN",
    );
    expect((await member().comparison.delete({ org, comparisonId: saved.id })).deleted).toBe(true);
    expect((await failure(viewer().comparison.get({ org, comparisonId: saved.id }))).code).toBe("NOT_FOUND");
    const audit = await t.db.auditEvent.findMany({ where: { orgId: s.org.id, target: saved.id } });
    expect(audit.map((e) => e.action).sort()).toEqual(["comparison.create", "comparison.delete"]);
  });

  it("validation names the field; another org's study is never saved, even by id", async () => {
    const org = s.org.slug;
    const mine = [await seedStudy(s, "cmp-a"), await seedStudy(s, "cmp-b")];
    const theirs = await seedStudy(other, "cmp-theirs");
    const stolen = await failure(
      member().comparison.create({ org, name: "with theirs", studyIds: [mine[0]!.id, theirs.id] }),
    );
    expect([stolen.code, stolen.paths]).toEqual(["NOT_FOUND", ["studyIds.1"]]);
    expect(await t.db.comparison.count({ where: { orgId: s.org.id, name: "with theirs" } })).toBe(0);
    const cases: [Record<string, unknown>, string][] = [
      [{ name: "", studyIds: [mine[0]!.id, mine[1]!.id] }, "name"],
      [{ name: "x".repeat(81), studyIds: [mine[0]!.id, mine[1]!.id] }, "name"],
      [{ name: "one", studyIds: [mine[0]!.id] }, "studyIds"],
      [{ name: "twice", studyIds: [mine[0]!.id, mine[0]!.id] }, "studyIds"],
      [{ name: "seven", studyIds: Array.from({ length: 7 }, (_, i) => `s${i}`) }, "studyIds"],
      [{ name: "opt", studyIds: [mine[0]!.id, mine[1]!.id], options: { "bad key": "x" } }, "options.bad key"],
      [{ name: "opt", studyIds: [mine[0]!.id, mine[1]!.id], options: { k: "v".repeat(201) } }, "options.k"],
    ];
    for (const [input, path] of cases) {
      const e = await failure(member().comparison.create({ org, ...input } as never));
      expect([e.code, e.paths[0]], JSON.stringify(input).slice(0, 60)).toEqual(["BAD_REQUEST", path]);
    }
    // REST: 201 with the saved row; the other org cannot open it.
    const res = await rest("POST", "/comparisons", {
      name: "rest one",
      studyIds: [mine[1]!.id, mine[0]!.id],
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const opened = await rest("GET", `/comparisons/${id}`);
    expect(((await opened.json()) as { studies: { name: string }[] }).studies.map((st) => st.name)).toEqual([
      "cmp-b",
      "cmp-a",
    ]);
    expect(
      (
        await failure(
          callerFor(t.db, { userId: other.users.OWNER.id }).comparison.get({
            org: other.org.slug,
            comparisonId: id,
          }),
        )
      ).code,
    ).toBe("NOT_FOUND");
  });
});
