// One set-up for the dataset upload tests (CSV, theory, fuzz): a migrated database with one seeded
// org, the MEMBER's handler context, and an upload that runs the procedure's two steps (schema
// parse, handler) and returns the field errors of a rejection. Filled in by the beforeAll it registers.
import { scopedDb } from "@hyperensemble/db";
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { fieldErrors } from "@hyperensemble/platform/schema";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll } from "vitest";
import { ZodError } from "zod";
import type { OrgContext } from "../../context-types";
import { orgContext, type SeededOrg, seedOrg } from "../test-fixtures";
import { uploadDatasetHandler } from "./upload.handler";
import { ZUploadDataset } from "./upload.schema";

export interface UploadHarness {
  tdb: TestDatabase;
  /** The seeded org, one user per role. */
  s: SeededOrg;
  /** The handler context orgProcedure hands a MEMBER of the org. */
  ctx(): OrgContext;
  /** Parse like the procedure does, then run the handler; a rejection returns its field errors and code. */
  upload(raw: unknown): Promise<{
    row?: Awaited<ReturnType<typeof uploadDatasetHandler>>;
    fields?: Record<string, string>;
    code?: string;
  }>;
  /** How many datasets the org has stored. */
  stored(): Promise<number>;
}

/** Registers beforeAll/afterAll in the calling file or describe and returns the harness they fill in. */
export function uploadTestHarness(label: string): UploadHarness {
  const h = {
    ctx: () => orgContext(h.tdb.db, h.s, "MEMBER", scopedDb(h.tdb.db, h.s.org.id)),
    async upload(raw: unknown) {
      const parsed = ZUploadDataset.safeParse(raw);
      if (!parsed.success) return { fields: fieldErrors(parsed.error) };
      try {
        return { row: await uploadDatasetHandler({ ctx: h.ctx(), input: parsed.data }) };
      } catch (err) {
        if (err instanceof TRPCError && err.cause instanceof ZodError)
          return { fields: fieldErrors(err.cause), code: err.code };
        throw err;
      }
    },
    stored: () => h.tdb.db.dataset.count({ where: { orgId: h.s.org.id } }),
  } as UploadHarness;
  beforeAll(async () => {
    h.tdb = await createTestDatabase();
    h.s = await seedOrg(h.tdb.db, label);
  });
  afterAll(async () => {
    await h.tdb?.drop();
  });
  return h;
}
