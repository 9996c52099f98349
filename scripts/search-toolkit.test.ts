// Every registered sampler and scheduler runs a study end to end through REST: created by the real
// REST handler (options validated by the registry entry and stored), trials run by the runner's own
// trial processor (synthetic training: the same claim, reports, scheduler decisions and result
// writes as a real trial, without TensorFlow.js) and refilled by fillQueue's sampler, until the
// study completes. Lives under scripts/ because it joins the web app and the runner, which must not
// import each other.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { main } from "@hyperensemble/cli/cli";
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { SAMPLER_REGISTRY, SCHEDULER_REGISTRY } from "@hyperensemble/engine/search";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processTrialJob } from "../apps/gpu-runner/src/processTrial.ts";
import { handleRestRequest } from "../apps/web/src/app/api/v1/_lib/handler.ts";
import { TokenBucketLimiter } from "../apps/web/src/server/auth/rate-limit.ts";
import { authenticateBearer } from "../apps/web/src/server/auth/token.ts";
import { studyParetoFront } from "../apps/web/src/server/routers/study/pareto.ts";
import {
  RecordingEnqueuer,
  requestContext,
  type SeededOrg,
  seedOrg,
  seedToken,
} from "../apps/web/src/server/routers/test-fixtures.ts";
import type { Context } from "../apps/web/src/server/trpc.ts";

let tdb: TestDatabase;
let org: SeededOrg;
let token: string;
const enqueuer = new RecordingEnqueuer();
const limiter = new TokenBucketLimiter({ capacity: 100_000, refillPerSecond: 10_000 });

async function createContext(req: Request): Promise<Context> {
  const principal = await authenticateBearer(tdb.db, req, { limiter });
  return { ...requestContext(tdb.db, principal, enqueuer), req };
}

async function rest(method: string, path: string, body?: unknown) {
  const res = await handleRestRequest(
    new Request(`http://hens.test/api/v1/orgs/${org.org.slug}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
    { createContext },
  );
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are probed field by field
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const SPACE = {
  learning_rate: { type: "float", low: 1e-4, high: 1e-2, log: true },
  units_1: { type: "int", low: 8, high: 32, step: 8 },
};

/** Runs the study's WAITING trials with the runner's processor until the study leaves RUNNING/QUEUED. */
async function runToCompletion(studyId: string) {
  const shutdown = new AbortController().signal;
  for (let round = 0; round < 40; round++) {
    const study = await tdb.db.study.findFirstOrThrow({ where: { id: studyId } });
    if (study.state !== "QUEUED" && study.state !== "RUNNING") return study.state;
    const waiting = await tdb.db.trial.findMany({ where: { studyId, state: "WAITING" } });
    await Promise.all(
      waiting.map((t) =>
        processTrialJob(
          {
            db: tdb.db,
            enqueuer,
            runnerId: null as unknown as string, // no Runner row: claims record no runner
            heartbeatMs: 1_000,
            syntheticTrialMs: 8,
          },
          { trialId: t.id, studyId, orgId: t.orgId },
          shutdown,
        ),
      ),
    );
  }
  throw new Error(`study ${studyId} did not finish`);
}

async function runStudy(sampler: unknown, scheduler: unknown, mode = "centralised") {
  const created = await rest("POST", "/studies", {
    name: `toolkit ${JSON.stringify(sampler)} ${JSON.stringify(scheduler)}`,
    replicas: 2,
    folds: 1,
    trials: 5,
    parallelism: 2,
    maxEpochs: 10,
    seed: 11,
    searchSpace: SPACE,
    sampler,
    scheduler,
    mode,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id = created.body["id"] as string;
  expect(await runToCompletion(id)).toBe("COMPLETED");
  const read = await rest("GET", `/studies/${id}`);
  expect(read.status).toBe(200);
  const trials = await tdb.db.trial.findMany({ where: { studyId: id }, orderBy: { number: "asc" } });
  expect(trials.map((t) => t.number)).toEqual([0, 1, 2, 3, 4]);
  for (const t of trials) expect(["COMPLETE", "PRUNED"]).toContain(t.state);
  return { id, study: read.body["study"] as Record<string, unknown>, trials };
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  org = await seedOrg(tdb.db, "toolkit");
  ({ token } = await seedToken(tdb.db, {
    orgId: org.org.id,
    userId: org.users.MEMBER.id,
    scopes: ["studies:read", "studies:write"],
  }));
});
afterAll(async () => {
  await tdb?.drop();
});

/** Options of each sampler that differ from its defaults, so the stored options are seen to reach it. */
const SAMPLER_OPTIONS: Record<string, Record<string, unknown>> = {
  grid: { pointsPerAxis: 3 },
  sobol: { scramble: false },
  tpe: { nStartupTrials: 2, multivariate: false },
  gp: { acquisition: "ucb", nStartupTrials: 3 },
  cmaes: { popsize: 4 },
  nsga2: { populationSize: 4 },
  dbo: { surrogate: "rf", kappaScale: 1, nStartupTrials: 2 },
};
const SCHEDULER_OPTIONS: Record<string, Record<string, unknown>> = {
  median: { nStartupTrials: 1, nWarmupSteps: 1 },
  sha: { minResource: 1, eta: 2, maxResource: 4 },
  hyperband: { minResource: 1, maxResource: 4, eta: 2 },
  asha: { gracePeriod: 1, eta: 2, maxT: 4 },
};

describe("every registered sampler runs a study through REST", () => {
  it.each(SAMPLER_REGISTRY.map((e) => e.name))(
    "%s",
    async (name) => {
      const options = SAMPLER_OPTIONS[name] ?? {};
      const { study, trials } = await runStudy({ name, options }, "none");
      expect(study["sampler"]).toBe(name);
      expect(study["samplerOptions"]).toEqual(options);
      // auto records its pick for this space (two numeric parameters: GP).
      expect(study["samplerChoice"]).toEqual(
        name === "auto" ? { name: "gp", reason: expect.any(String) } : null,
      );
      if (name === "grid") {
        // 3 learning rates x 3 unit counts: five distinct grid points, none repeated.
        expect(new Set(trials.map((t) => JSON.stringify(t.params))).size).toBe(5);
      }
    },
    120_000,
  );

  it("a multi-objective (NSGA-II) study's Pareto front is L1 (min) against phi2 (max)", async () => {
    const { id, trials } = await runStudy({ name: "nsga2", options: { populationSize: 4 } }, "none");
    // Give the trials a real trade-off: phi2 rises with L1 except for trial 2, which trial 0 dominates.
    const results = await tdb.db.trialResult.findMany({
      where: { orgId: org.org.id, trialId: { in: trials.map((t) => t.id) } },
    });
    const numberOf = new Map(trials.map((t) => [t.id, t.number]));
    const points = results.map((r) => ({
      number: numberOf.get(r.trialId)!,
      L1: 1 + numberOf.get(r.trialId)!,
      phi2: 0,
    }));
    for (const p of points) p.phi2 = p.number === 2 ? 0.5 : p.L1;
    for (const r of results) {
      const p = points.find((q) => q.number === numberOf.get(r.trialId))!;
      await tdb.db.trialResult.updateMany({
        where: { trialId: r.trialId, orgId: org.org.id },
        data: { L1: p.L1, phi2: p.phi2 },
      });
    }
    const front = await studyParetoFront({ db: tdb.db, org: { id: org.org.id } } as never, {
      id,
      sampler: "nsga2",
      objective: "L1",
    });
    const dominated = (a: (typeof points)[number]) =>
      points.some((b) => b.L1 <= a.L1 && b.phi2 >= a.phi2 && (b.L1 < a.L1 || b.phi2 > a.phi2));
    expect(front).toEqual(points.filter((p) => !dominated(p)).sort((a, b) => a.number - b.number));
    expect(front!.map((p) => p.number)).not.toContain(2);
    expect(
      await studyParetoFront({ db: tdb.db, org: { id: org.org.id } } as never, {
        id,
        sampler: "tpe",
        objective: "L1",
      }),
    ).toBeNull();
  }, 120_000);

  it("a decentralized study takes DBO's options", async () => {
    const { study } = await runStudy({ name: "dbo", options: { kappaScale: 0.5 } }, "none", "decentralized");
    expect(study["samplerOptions"]).toEqual({ kappaScale: 0.5 });
  }, 120_000);
});

describe("every registered scheduler runs a study through REST", () => {
  it.each(SCHEDULER_REGISTRY.map((e) => e.name))(
    "%s",
    async (name) => {
      const options = SCHEDULER_OPTIONS[name] ?? {};
      const { study } = await runStudy("random", { name, options });
      expect(study["scheduler"]).toBe(name);
      expect(study["schedulerOptions"]).toEqual(options);
    },
    120_000,
  );
});

describe("a clone", () => {
  it("keeps the sampler's and scheduler's options and the search mode", async () => {
    const created = await rest("POST", "/studies", {
      name: "to clone",
      replicas: 2,
      trials: 2,
      mode: "decentralized",
      sampler: { name: "dbo", options: { kappaScale: 0.5 } },
      scheduler: { name: "asha", options: { eta: 3 } },
    });
    expect(created.status).toBe(201);
    const clone = await rest("POST", `/studies/${created.body["id"]}/clone`, {});
    expect(clone.status, JSON.stringify(clone.body)).toBe(201);
    const copy = await tdb.db.study.findFirstOrThrow({ where: { id: clone.body["id"], orgId: org.org.id } });
    expect([copy.sampler, copy.samplerOptions, copy.scheduler, copy.schedulerOptions, copy.mode]).toEqual([
      "dbo",
      { kappaScale: 0.5 },
      "asha",
      { eta: 3 },
      "decentralized",
    ]);
  });
});

describe("a bad option", () => {
  it("is a 400 naming its path, and nothing is stored", async () => {
    const before = await tdb.db.study.count({ where: { orgId: org.org.id } });
    const bad = await rest("POST", "/studies", {
      name: "bad",
      replicas: 2,
      trials: 2,
      sampler: { name: "tpe", options: { nStartupTrials: -1 } },
      scheduler: { name: "asha", options: { grace: 2 } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body["error"]["fieldErrors"]).toMatchObject({
      "sampler.options.nStartupTrials": expect.stringMatching(/nStartupTrials/),
      "scheduler.options.grace": expect.stringMatching(/not an option of asha.*gracePeriod/),
    });
    expect(await tdb.db.study.count({ where: { orgId: org.org.id } })).toBe(before);
  });
});

describe("the CLI's --sampler and --sampler-option", () => {
  async function hens(args: string[]) {
    const dir = await mkdtemp(path.join(tmpdir(), "hens-search-"));
    const file = path.join(dir, "study.yaml");
    await writeFile(file, "name: from the cli\nreplicas: 2\ntrials: 2\nsampler: random\nscheduler: median\n");
    let stdout = "";
    let stderr = "";
    const code = await main(["study", "create", "-f", file, "--org", org.org.slug, ...args], {
      env: { HENS_URL: "http://hens.test", HENS_TOKEN: token },
      stdout: { write: (c: string) => (stdout += c) },
      stderr: { write: (c: string) => (stderr += c) },
      fetch: async (input, init) => handleRestRequest(new Request(input as string, init), { createContext }),
    });
    return { code, stdout, stderr };
  }

  it("set the sampler and scheduler with their options over the file's", async () => {
    const run = await hens([
      ...[
        "--sampler",
        "tpe",
        "--sampler-option",
        "nStartupTrials=5",
        "--sampler-option",
        "multivariate=false",
      ],
      ...["--scheduler-option", "nWarmupSteps=2"],
    ]);
    expect(run.code, run.stderr).toBe(0);
    const study = await tdb.db.study.findFirstOrThrow({
      where: { id: run.stdout.trim(), orgId: org.org.id },
    });
    expect([study.sampler, study.samplerOptions]).toEqual([
      "tpe",
      { nStartupTrials: 5, multivariate: false },
    ]);
    expect([study.scheduler, study.schedulerOptions]).toEqual(["median", { nWarmupSteps: 2 }]);
  });

  it("print the server's path for a bad option and exit 3 (the API refused)", async () => {
    const run = await hens(["--sampler", "gp", "--sampler-option", "acquisition=pi"]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/sampler\.options\.acquisition/);
  });
});

describe("the OpenAPI document", () => {
  it("lists every registered sampler and scheduler with its own options", async () => {
    const res = await handleRestRequest(new Request("http://hens.test/api/v1/openapi.json"), {
      createContext,
    });
    // biome-ignore lint/suspicious/noExplicitAny: the document is probed field by field
    const doc = (await res.json()) as any;
    const body = doc.paths["/orgs/{org}/studies"].post.requestBody.content["application/json"].schema;
    for (const [field, registry] of [
      ["sampler", SAMPLER_REGISTRY],
      ["scheduler", SCHEDULER_REGISTRY],
    ] as const) {
      const schema = body.properties[field];
      const [names, variants] = schema.anyOf;
      expect(names.enum).toEqual(registry.map((e) => e.name));
      for (const entry of registry) {
        const variant = variants.oneOf.find(
          // biome-ignore lint/suspicious/noExplicitAny: JSON schema nodes
          (v: any) => v.properties.name.const === entry.name,
        );
        expect(Object.keys(variant.properties.options.properties ?? {}), entry.name).toEqual(
          Object.keys(entry.options.shape),
        );
      }
    }
  });
});
