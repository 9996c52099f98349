import { describe, expect, it } from "vitest";
import { listDatasetsHandler } from "./list.handler";
import { MAX_DATASET_BYTES } from "./upload.schema";
import { uploadTestHarness } from "./upload.test-helpers";

const h = uploadTestHarness("ds");

describe("dataset upload", () => {
  it("stores a valid CSV with a summary; lists it beside the built-in closure task", async () => {
    const csv = "x,y,dy\n0.1,1.0,0.1\n0.2,1.5,0.1\n0.3,1.7,0.2\n";
    const result = await h.upload({
      format: "csv",
      name: "lin",
      csv,
      inputs: ["x"],
      targets: ["y"],
      errors: ["dy"],
    });
    expect(result.row?.nPoints).toBe(3);
    // The target column names the output: a study on it titles its prediction panel "y", not output_0.
    expect(result.row?.summary).toMatchObject({ outputNames: ["y"] });
    const { items } = await listDatasetsHandler({ ctx: h.ctx() });
    expect(items.map((d) => d.name)).toEqual(
      expect.arrayContaining(["lin", "Proton-structure closure test (built-in)"]),
    );
    expect(await h.tdb.db.auditEvent.count({ where: { orgId: h.s.org.id, action: "dataset.upload" } })).toBe(
      1,
    );
  });

  it("stores JSON with systematics, and JSON with a positive-definite covariance", async () => {
    const sys = await h.upload({
      format: "json",
      name: "sys",
      data: {
        subsets: [
          { name: "a", inputs: [[0.1], [0.2]], values: [1, 2], stat: [0.1, 0.1], sys: [[0.05], [0.05]] },
        ],
      },
    });
    expect(sys.row?.nPoints).toBe(2);
    const cov = await h.upload({
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
    const before = await h.stored();
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
          name: "names",
          data: {
            nOutputs: 2,
            outputNames: ["F2"],
            subsets: [{ name: "a", inputs: [[0.1]], values: [1], outputs: [1], stat: [0.1] }],
          },
        },
        "data.outputNames",
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
      const result = await h.upload(raw);
      expect(result.fields, JSON.stringify(raw).slice(0, 80)).toHaveProperty([field]);
    }
    expect(await h.stored()).toBe(before);
  });

  it("a duplicate name is a CONFLICT on name", async () => {
    const raw = {
      format: "json",
      name: "dup",
      data: { subsets: [{ name: "a", inputs: [[1]], values: [1], stat: [1] }] },
    };
    expect((await h.upload(raw)).row).toBeDefined();
    const again = await h.upload(raw);
    expect(again.code).toBe("CONFLICT");
    expect(again.fields).toHaveProperty(["name"]);
  });

  describe("datasets at real sizes", () => {
    /** CSV of `rows` points in `blocks` sub-datasets ("x,y,dy,exp"). */
    const csvOf = (rows: number, blocks: number) =>
      [
        "x,y,dy,exp",
        ...Array.from(
          { length: rows },
          (_, i) => `${(i / rows).toFixed(5)},${(1 + (i % 7) / 10).toFixed(2)},0.05,e${i % blocks}`,
        ),
      ].join("\n");
    const csvUpload = (name: string, csv: string, extra: object = {}) => ({
      format: "csv",
      name,
      csv,
      inputs: ["x"],
      targets: ["y"],
      errors: ["dy"],
      subset: "exp",
      ...extra,
    });

    it("a bad cell is named by its CSV line and column, not by a path into the built JSON", async () => {
      // Rows of sub-dataset "b" come second: its second row is line 5 of the file (after a comment).
      const csv = ["x,y,dy,exp", "# units: GeV", "0.1,1.0,0.1,a", "0.2,1.1,0.1,b", "0.3,1.2,0,b"].join("\n");
      const result = await h.upload(csvUpload("bad-cell", csv));
      expect(result.fields?.["csv"]).toMatch(/^line 5, column "dy" \("0"\): must be > 0/);
      expect(result.fields?.["csv"]).not.toMatch(/subsets\./);
    });

    it("10,000 points in 10 correlated blocks are accepted (factorised per block, off the event loop)", async () => {
      const result = await h.upload(csvUpload("ten-thousand", csvOf(10_000, 10), { normalisation: 0.02 }));
      expect(result.fields).toBeUndefined();
      expect(result.row?.nPoints).toBe(10_000);
      expect(result.row?.summary).toMatchObject({ subsets: expect.any(Array) });
      expect((result.row?.summary as { subsets?: unknown[] } | undefined)?.subsets).toHaveLength(10);
    }, 120_000);

    it("50,000 points: accepted with statistical errors (1 × 1 blocks), refused by the block-entry limit when correlated", async () => {
      const csv = csvOf(50_000, 10);
      const stat = await h.upload(csvUpload("fifty-thousand", csv));
      expect(stat.row?.nPoints).toBe(50_000);
      const correlated = await h.upload(csvUpload("fifty-thousand-norm", csv, { normalisation: 0.02 }));
      expect(correlated.code).toBe("BAD_REQUEST");
      expect(correlated.fields?.["csv"]).toMatch(/correlated block of 5000 points|covariance entries/);
    }, 120_000);

    it("900,000 points are refused naming csv, before the CSV is parsed", async () => {
      const csv = ["x,y,dy", ...Array.from({ length: 900_000 }, () => "1,1,1")].join("\n");
      expect(csv.length).toBeLessThan(MAX_DATASET_BYTES);
      const result = await h.upload({
        format: "csv",
        name: "huge",
        csv,
        inputs: ["x"],
        targets: ["y"],
        errors: ["dy"],
      });
      expect(result.code).toBe("BAD_REQUEST");
      expect(result.fields?.["csv"]).toMatch(/900000 points, over the limit of 100000 points/);
    }, 120_000);

    it("a dense block that is not positive definite is refused naming covariance (validated in a worker)", async () => {
      // 400 correlated points: past the inline threshold, so the Cholesky runs off the event loop
      const n = 400;
      const rows = Array.from({ length: n }, (_, i) => `${i / n},1,0.1`);
      const covariance = Array.from({ length: n }, (_, i) =>
        Array.from({ length: n }, (_, j) => (i === j ? 1 : i + j === n - 1 ? 1 : 0.5)),
      );
      const result = await h.upload({
        format: "csv",
        name: "notpd-dense",
        csv: ["x,y,dy", ...rows].join("\n"),
        inputs: ["x"],
        targets: ["y"],
        errors: ["dy"],
        covariance,
      });
      expect(result.code).toBe("BAD_REQUEST");
      expect(result.fields?.["covariance"]).toMatch(/not symmetric positive definite/);
    }, 120_000);

    it("while a large upload validates, another request on the same handler is answered first", async () => {
      let uploaded = false;
      let listedWhileUploading: boolean | undefined;
      const big = h.upload(csvUpload("dense-2000", csvOf(2_000, 1), { normalisation: 0.02 })).then((r) => {
        uploaded = true;
        return r;
      });
      const list = listDatasetsHandler({ ctx: h.ctx() }).then((r) => {
        listedWhileUploading = !uploaded;
        return r;
      });
      const [bigResult, listResult] = await Promise.all([big, list]);
      expect(listResult.items.length).toBeGreaterThan(0);
      expect(listedWhileUploading).toBe(true);
      expect(bigResult.row?.nPoints).toBe(2_000);
    }, 120_000);
  });
});
