// Fuzzed dataset uploads: every input is either accepted as a dataset the engine can use, or
// rejected with BAD_REQUEST naming a field; nothing else (no crash, no half-stored row).
// `npm test` runs a sample; HENS_FUZZ_RUNS=10000 npx vitest run <this file> runs the full fuzz.
import { TRPCError } from "@trpc/server";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { prepareDataset, uploadDatasetHandler } from "./upload.handler";
import { type UploadDatasetInput, ZUploadDataset } from "./upload.schema";
import { uploadTestHarness } from "./upload.test-helpers";

const RUNS = Number(process.env["HENS_FUZZ_RUNS"] ?? 300);

const number = fc.oneof(
  { weight: 8, arbitrary: fc.double({ min: -10, max: 10, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, 0, -1, 1e308) },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 3 }), fc.constant(null), fc.boolean()) },
);
const positive = fc.oneof(
  { weight: 8, arbitrary: fc.double({ min: 0.01, max: 2, noNaN: true }) },
  { weight: 1, arbitrary: number },
);
const vector = (len: fc.Arbitrary<number>, item: fc.Arbitrary<unknown>) =>
  len.chain((n) => fc.array(item, { minLength: Math.max(0, n), maxLength: Math.max(0, n) }));

/** Mostly well-formed subsets with occasional wrong lengths, non-finite numbers and wrong types. */
const subset = fc
  .record({
    n: fc.integer({ min: 0, max: 5 }),
    dim: fc.integer({ min: 1, max: 2 }),
    jitter: fc.integer({ min: -1, max: 1 }),
  })
  .chain(({ n, dim, jitter }) =>
    fc.record(
      {
        name: fc.oneof(fc.constantFrom("a", "b", "c"), fc.string({ maxLength: 2 })),
        inputs: vector(
          fc.constant(n + Math.max(jitter, 0)),
          vector(fc.constantFrom(dim, dim, dim + 1), number),
        ),
        values: vector(fc.constant(n), number),
        stat: vector(fc.constantFrom(n, n, n + jitter), positive),
        sys: vector(fc.constant(n), vector(fc.constant(1), number)),
        normalisation: fc.double({ min: -0.1, max: 0.2, noNaN: true }),
        truth: vector(fc.constant(n), number),
      },
      { requiredKeys: ["name", "inputs", "values"] },
    ),
  );

const matrix = fc.integer({ min: 0, max: 6 }).chain((n) =>
  fc.oneof(
    vector(fc.constant(n), vector(fc.constant(n), number)),
    // Diagonally dominant symmetric: positive definite when its size matches the points.
    fc.constant(
      Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 2 : 0.1))),
    ),
  ),
);

const jsonUpload = fc.record(
  {
    format: fc.constant("json"),
    name: fc.oneof(fc.constantFrom("fuzz", "fuzz data"), fc.string({ maxLength: 4 })),
    data: fc.oneof(
      {
        weight: 9,
        arbitrary: fc.record(
          {
            subsets: fc.array(subset, { maxLength: 3 }),
            covariance: matrix,
            nOutputs: fc.constantFrom(1, 1, 2, 0),
          },
          { requiredKeys: ["subsets"] },
        ),
      },
      { weight: 1, arbitrary: fc.anything() },
    ),
  },
  { requiredKeys: ["format", "name", "data"] },
);

const csvCell = fc.oneof(
  { weight: 8, arbitrary: fc.double({ min: -5, max: 5, noNaN: true }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom("", "NaN", "inf", "x", "1e400", '"2"') },
);
const csvUpload = fc
  .record({ rows: fc.array(fc.array(csvCell, { minLength: 3, maxLength: 4 }), { maxLength: 6 }) })
  .chain(({ rows }) =>
    fc.record({
      format: fc.constant("csv"),
      name: fc.constant("fuzz csv"),
      csv: fc.constant(["x,y,dy", ...rows.map((r) => r.join(","))].join("\n")),
      inputs: fc.constantFrom(["x"], ["x"], ["z"]),
      targets: fc.constantFrom(["y"], ["y"], ["y", "x"]),
      errors: fc.constantFrom(["dy"], ["dy"], ["nope"]),
      covariance: fc.option(matrix, { nil: undefined }),
    }),
  )
  .map(({ covariance, ...rest }) => (covariance === undefined ? rest : { ...rest, covariance }));

/** Well-formed uploads, so that the acceptance side is exercised too. */
const finite = fc.double({ min: -5, max: 5, noNaN: true, noDefaultInfinity: true });
const cleanJson = fc
  .record({
    n: fc.integer({ min: 1, max: 5 }),
    dim: fc.integer({ min: 1, max: 2 }),
    k: fc.integer({ min: 1, max: 2 }),
  })
  .chain(({ n, dim, k }) =>
    fc.record({
      format: fc.constant("json"),
      name: fc.constant("clean"),
      data: fc.record({
        subsets: fc.tuple(
          ...Array.from({ length: k }, (_, i) =>
            fc.record({
              name: fc.constant(`s${i}`),
              inputs: vector(fc.constant(n), vector(fc.constant(dim), finite)),
              values: vector(fc.constant(n), finite),
              stat: vector(fc.constant(n), fc.double({ min: 0.05, max: 2, noNaN: true })),
            }),
          ),
        ),
      }),
    }),
  );
const cleanCsv = fc
  .array(fc.tuple(finite, finite, fc.double({ min: 0.05, max: 2, noNaN: true })), {
    minLength: 1,
    maxLength: 6,
  })
  .map((rows) => ({
    format: "csv",
    name: "clean csv",
    csv: ["x,y,dy", ...rows.map((r) => r.join(","))].join("\n"),
    inputs: ["x"],
    targets: ["y"],
    errors: ["dy"],
  }));

const upload = fc.oneof(
  { weight: 2, arbitrary: cleanJson },
  { weight: 2, arbitrary: cleanCsv },
  { weight: 4, arbitrary: jsonUpload },
  { weight: 4, arbitrary: csvUpload },
  { weight: 1, arbitrary: fc.anything() },
);

type Outcome = { ok: true; input: UploadDatasetInput } | { ok: false; fields: string[] };

/** The procedure's two steps without the database: schema parse, then prepareDataset. */
async function check(raw: unknown): Promise<Outcome> {
  const parsed = ZUploadDataset.safeParse(raw);
  if (!parsed.success) return { ok: false, fields: parsed.error.issues.map((i) => i.path.join(".")) };
  try {
    const { json, summary } = await prepareDataset(parsed.data);
    expect(summary.nPoints).toBeGreaterThan(0);
    expect(json.subsets.every((s) => s.values.every(Number.isFinite))).toBe(true);
    return { ok: true, input: parsed.data };
  } catch (err) {
    if (!(err instanceof TRPCError)) throw err;
    expect(err.code).toBe("BAD_REQUEST");
    expect(err.cause).toBeInstanceOf(ZodError);
    return { ok: false, fields: (err.cause as ZodError).issues.map((i) => i.path.join(".")) };
  }
}

const FIELD = /^(format|name|data|csv|inputs|targets|errors|subset|normalisation|covariance)(\.|$)/;

describe("dataset upload fuzz", () => {
  it(`${RUNS} random uploads: accepted, or rejected with a field path`, async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(upload, async (raw) => {
        const outcome = await check(raw);
        if (outcome.ok) accepted++;
        else {
          expect(outcome.fields.length).toBeGreaterThan(0);
          // A body that is not an object at all is rejected at the root ("").
          const isObject = raw !== null && typeof raw === "object" && !Array.isArray(raw);
          for (const field of outcome.fields) expect(field).toMatch(isObject ? FIELD : /^(|format)$/);
        }
      }),
      { numRuns: RUNS, seed: Number(process.env["HENS_FUZZ_SEED"] ?? 20261122) },
    );
    // The generators are meant to hit both sides.
    expect(accepted).toBeGreaterThan(0);
  });

  describe("through the handler and Postgres", () => {
    const h = uploadTestHarness("fuzz");

    it("stores exactly the accepted uploads, nothing of the rejected ones", async () => {
      const ctx = h.ctx();
      const samples = fc.sample(upload, { numRuns: 60, seed: 7 });
      let stored = 0;
      for (const [i, raw] of samples.entries()) {
        const outcome = await check(raw);
        if (!outcome.ok) continue;
        await uploadDatasetHandler({ ctx, input: { ...outcome.input, name: `fuzz-${i}` } });
        stored++;
      }
      // Rejected inputs never reach the database: run them through the handler too.
      for (const raw of samples) {
        const parsed = ZUploadDataset.safeParse(raw);
        if (!parsed.success || (await check(raw)).ok) continue;
        await expect(
          uploadDatasetHandler({ ctx, input: { ...parsed.data, name: "never" } }),
        ).rejects.toBeInstanceOf(TRPCError);
      }
      expect(await h.stored()).toBe(stored);
      expect(stored).toBeGreaterThan(0);
    });
  });
});
