import { scopedDb } from "@hyperensemble/db";
import { createTestDatabase, type TestDatabase } from "@hyperensemble/db/testing";
import { fieldErrors } from "@hyperensemble/platform/schema";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { orgContext, type SeededOrg, seedOrg } from "../test-fixtures";
import { listDatasetsHandler } from "./list.handler";
import { uploadDatasetHandler } from "./upload.handler";
import { MAX_DATASET_BYTES, ZUploadDataset } from "./upload.schema";

let tdb: TestDatabase;
let s: SeededOrg;
beforeAll(async () => {
  tdb = await createTestDatabase();
  s = await seedOrg(tdb.db, "ds");
});
afterAll(async () => {
  await tdb?.drop();
});

const ctx = () => orgContext(tdb.db, s, "MEMBER", scopedDb(tdb.db, s.org.id));

/** Parse like the procedure does, then run the handler; returns the field errors of a rejection. */
async function upload(raw: unknown) {
  const parsed = ZUploadDataset.safeParse(raw);
  if (!parsed.success) return { fields: fieldErrors(parsed.error) };
  try {
    return { row: await uploadDatasetHandler({ ctx: ctx(), input: parsed.data }) };
  } catch (err) {
    if (err instanceof TRPCError && err.cause instanceof ZodError)
      return { fields: fieldErrors(err.cause), code: err.code };
    throw err;
  }
}

const stored = () => tdb.db.dataset.count({ where: { orgId: s.org.id } });

describe("dataset upload", () => {
  it("stores a valid CSV with a summary; lists it beside the built-in closure task", async () => {
    const csv = "x,y,dy\n0.1,1.0,0.1\n0.2,1.5,0.1\n0.3,1.7,0.2\n";
    const result = await upload({
      format: "csv",
      name: "lin",
      csv,
      inputs: ["x"],
      targets: ["y"],
      errors: ["dy"],
    });
    expect(result.row?.nPoints).toBe(3);
    const { items } = await listDatasetsHandler({ ctx: ctx() });
    expect(items.map((d) => d.name)).toEqual(
      expect.arrayContaining(["lin", "Proton-structure closure test (built-in)"]),
    );
    expect(await tdb.db.auditEvent.count({ where: { orgId: s.org.id, action: "dataset.upload" } })).toBe(1);
  });

  it("stores JSON with systematics, and JSON with a positive-definite covariance", async () => {
    const sys = await upload({
      format: "json",
      name: "sys",
      data: {
        subsets: [
          { name: "a", inputs: [[0.1], [0.2]], values: [1, 2], stat: [0.1, 0.1], sys: [[0.05], [0.05]] },
        ],
      },
    });
    expect(sys.row?.nPoints).toBe(2);
    const cov = await upload({
      format: "json",
      name: "cov",
      data: {
        subsets: [{ name: "a", inputs: [[0.1], [0.2]], values: [1, 2] }],
        covariance: [
          [1, 0.5],
          [0.5, 1],
        ],
      },
    });
    expect(cov.row?.nPoints).toBe(2);
  });

  it("rejects bad input naming the field, and stores nothing", async () => {
    const before = await stored();
    const cases: [unknown, string][] = [
      [
        {
          format: "csv",
          name: "nan",
          csv: "x,y,dy\n0.1,NaN,0.1\n",
          inputs: ["x"],
          targets: ["y"],
          errors: ["dy"],
        },
        "csv",
      ],
      [
        {
          format: "csv",
          name: "col",
          csv: "x,y,dy\n0.1,1,0.1\n",
          inputs: ["x"],
          targets: ["z"],
          errors: ["dy"],
        },
        "targets",
      ],
      [
        {
          format: "json",
          name: "shape",
          data: { subsets: [{ name: "a", inputs: [[0.1]], values: [1, 2], stat: [0.1, 0.1] }] },
        },
        "data.subsets.0.inputs",
      ],
      [
        {
          format: "json",
          name: "notpd",
          data: {
            subsets: [{ name: "a", inputs: [[0.1], [0.2]], values: [1, 2] }],
            covariance: [
              [1, 2],
              [2, 1],
            ],
          },
        },
        "data.covariance",
      ],
      [
        {
          format: "csv",
          name: "csvcov",
          csv: "x,y,dy\n0.1,1,0.1\n0.2,2,0.1\n",
          inputs: ["x"],
          targets: ["y"],
          errors: ["dy"],
          covariance: [
            [1, 2],
            [2, 1],
          ],
        },
        "covariance",
      ],
      [{ format: "xml", name: "x" }, "format"],
      [{ format: "json", name: "", data: {} }, "name"],
      [
        {
          format: "csv",
          name: "big",
          csv: "x".repeat(MAX_DATASET_BYTES + 1),
          inputs: ["x"],
          targets: ["y"],
          errors: ["dy"],
        },
        "csv",
      ],
      [{ format: "json", name: "bigjson", data: { blob: "x".repeat(MAX_DATASET_BYTES) } }, "data"],
    ];
    for (const [raw, field] of cases) {
      const result = await upload(raw);
      expect(result.fields, JSON.stringify(raw).slice(0, 80)).toHaveProperty([field]);
    }
    expect(await stored()).toBe(before);
  });

  it("a duplicate name is a CONFLICT on name", async () => {
    const raw = {
      format: "json",
      name: "dup",
      data: { subsets: [{ name: "a", inputs: [[1]], values: [1], stat: [1] }] },
    };
    expect((await upload(raw)).row).toBeDefined();
    const again = await upload(raw);
    expect(again.code).toBe("CONFLICT");
    expect(again.fields).toHaveProperty(["name"]);
  });
});
