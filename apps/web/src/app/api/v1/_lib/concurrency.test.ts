// 200 studies created at once through the REST API by 20 users (token each) in 4 orgs: every study
// is stored exactly once, in its creator's org, with its first trials and one audit event. On a
// loaded machine some first fills time out waiting for their organisation's lock and are deferred to
// the runners' top-up sweep (createStudy says so): the test runs that sweep, as a runner would, and
// checks the end state — never a trial lost or queued twice — not how fast the fills were.
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { fillActiveStudies } from "@hyperensemble/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenBucketLimiter } from "../../../../server/auth/rate-limit";
import { authenticateBearer } from "../../../../server/auth/token";
import {
  createUser,
  RecordingEnqueuer,
  requestContext,
  seedOrg,
  seedToken,
} from "../../../../server/routers/test-fixtures";
import type { Context } from "../../../../server/trpc";
import { handleRestRequest } from "./handler";

const ORGS = 4;
const USERS_PER_ORG = 5;
const STUDIES_PER_USER = 10;

let tdb: TestDatabase;
const enqueuer = new RecordingEnqueuer();
const limiter = new TokenBucketLimiter({ capacity: 100, refillPerSecond: 10 });

async function createContext(req: Request): Promise<Context> {
  const principal = await authenticateBearer(tdb.db, req, { limiter });
  return { ...requestContext(tdb.db, principal, enqueuer), req };
}

beforeAll(async () => {
  tdb = await createTestDatabase({ max: 16 });
});
afterAll(async () => {
  await tdb?.drop();
});

describe("concurrent study creation", () => {
  it(`${ORGS * USERS_PER_ORG * STUDIES_PER_USER} studies by ${ORGS * USERS_PER_ORG} users in ${ORGS} orgs`, async () => {
    const creators: { orgId: string; slug: string; userId: string; token: string }[] = [];
    for (let o = 0; o < ORGS; o++) {
      const seeded = await seedOrg(tdb.db, `conc${o}`);
      for (let u = 0; u < USERS_PER_ORG; u++) {
        const user = await createUser(tdb.db);
        await tdb.db.membership.create({ data: { orgId: seeded.org.id, userId: user.id, role: "MEMBER" } });
        const { token } = await seedToken(tdb.db, {
          orgId: seeded.org.id,
          userId: user.id,
          scopes: ["studies:read", "studies:write"],
        });
        creators.push({ orgId: seeded.org.id, slug: seeded.org.slug, userId: user.id, token });
      }
    }
    const requests = creators.flatMap((c, ci) =>
      Array.from({ length: STUDIES_PER_USER }, (_, s) =>
        handleRestRequest(
          new Request(`http://hens.test/api/v1/orgs/${c.slug}/studies`, {
            method: "POST",
            headers: { authorization: `Bearer ${c.token}`, "content-type": "application/json" },
            body: JSON.stringify({ name: `u${ci}-s${s}`, replicas: 2, trials: 3, parallelism: 2, seed: s }),
          }),
          { createContext },
        ),
      ),
    );
    const responses = await Promise.all(requests);
    const failed = await Promise.all(responses.filter((r) => r.status !== 201).map((r) => r.clone().text()));
    expect(failed, "responses other than 201").toEqual([]);
    const ids = await Promise.all(responses.map(async (r) => ((await r.json()) as { id: string }).id));
    expect(new Set(ids).size).toBe(ids.length);

    for (const [ci, c] of creators.entries()) {
      const studies = await tdb.db.study.findMany({
        where: { orgId: c.orgId, ownerId: c.userId },
        orderBy: { name: "asc" },
      });
      expect(studies.map((s) => s.name).sort()).toEqual(
        Array.from({ length: STUDIES_PER_USER }, (_, s) => `u${ci}-s${s}`).sort(),
      );
    }
    for (const orgId of new Set(creators.map((c) => c.orgId))) {
      expect(await tdb.db.study.count({ where: { orgId } })).toBe(USERS_PER_ORG * STUDIES_PER_USER);
      expect(await tdb.db.auditEvent.count({ where: { orgId, action: "study.create" } })).toBe(
        USERS_PER_ORG * STUDIES_PER_USER,
      );
    }
    // Fills deferred under load (none on a quiet machine) are the sweep's, as in production.
    for (let round = 0; round < 10; round++) {
      const filled = await tdb.db.trial.groupBy({ by: ["studyId"], where: { studyId: { in: ids } } });
      if (filled.length === ids.length) break;
      await fillActiveStudies(tdb.db, enqueuer, new Date(), { perOrg: 1_000 });
    }
    // Each study got exactly its first `parallelism` trials, numbered 0 and 1, each queued once.
    const trials = await tdb.db.trial.groupBy({
      by: ["studyId"],
      where: { studyId: { in: ids } },
      _count: { _all: true },
    });
    expect(trials).toHaveLength(ids.length);
    expect(trials.every((t) => t._count._all === 2)).toBe(true);
    expect(new Set(enqueuer.jobs.map((j) => j.trialId)).size).toBe(enqueuer.jobs.length);
    expect(enqueuer.jobs).toHaveLength(ids.length * 2);
  }, 120_000);
});
