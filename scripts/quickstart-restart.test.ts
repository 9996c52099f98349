// "Killing the quickstart and running it again keeps the earlier study": the quickstart's state lives
// in the embedded Postgres data directory, so kill its server uncleanly (SIGKILL, as when the machine
// or the terminal dies), start again on the same directory as the quickstart does, and find the study.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createDb, migrateDatabase } from "@hyperensemble/db";
import { startEmbeddedPostgres } from "@hyperensemble/db/embedded";
import {
  createStudy,
  createStudyInputSchema,
  DEMO_STUDY,
  seedDemo,
  type TrialJob,
} from "@hyperensemble/platform";
import { afterAll, expect, it } from "vitest";

const dataDir = mkdtempSync(path.join(os.tmpdir(), "hens-quickstart-"));
const port = 55000 + Math.floor(Math.random() * 4000);

afterAll(async () => {
  const again = await startEmbeddedPostgres({ dataDir, port }).catch(() => null);
  await again?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it("an embedded Postgres killed with SIGKILL restarts on its data directory with the earlier study", async () => {
  const first = await startEmbeddedPostgres({ dataDir, port });
  expect(first.reused).toBe(false);
  await migrateDatabase(first.url);
  let db = createDb(first.url);
  const { org, user } = await seedDemo(db);
  const jobs: TrialJob[] = [];
  const spec = createStudyInputSchema.parse({ ...DEMO_STUDY, name: "survives a kill" });
  const study = await createStudy(
    db,
    { enqueue: async (j) => void jobs.push(j) },
    { orgId: org.id, ownerId: user.id, spec },
  );
  expect(jobs.length).toBe(spec.parallelism);
  await db.$disconnect();

  const pid = Number(readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
  process.kill(pid, "SIGKILL");
  await new Promise((r) => setTimeout(r, 500));

  const second = await startEmbeddedPostgres({ dataDir, port });
  expect(second.reused).toBe(false); // the stale postmaster.pid was detected, the server started anew
  db = createDb(second.url);
  const found = await db.study.findFirst({ where: { id: study.id, orgId: org.id } });
  expect(found?.name).toBe("survives a kill");
  expect(await db.trial.count({ where: { orgId: org.id, studyId: study.id } })).toBe(spec.parallelism);
  await db.$disconnect();
  await second.stop();
}, 120_000);
