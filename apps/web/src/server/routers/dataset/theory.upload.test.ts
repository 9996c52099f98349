import { buildTheoryTask, syntheticTheory, writeNpy, writeNpz } from "@hyperensemble/engine";
import { fieldErrors } from "@hyperensemble/platform/schema";
import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { jsonParts, uploadTheoryFilesHandler } from "./upload.handler";
import { uploadTestHarness } from "./upload.test-helpers";

const h = uploadTestHarness("theory");

const storedData = async (id: string) =>
  (await h.tdb.db.dataset.findFirstOrThrow({ where: { id, orgId: h.s.org.id }, select: { data: true } }))
    .data;

const src = syntheticTheory({ subsets: 4, pointsPerSubset: 6, gridPoints: 14, level: 1, seed: 2 });
const G = src.grid.length;
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

/** The theory's arrays by path, and its other fields. */
function split() {
  const { grid, subsets, positivity, truthOutputs, ...rest } = src;
  const meta = {
    ...rest,
    subsets: subsets.map((x) => ({
      name: x.name,
      alwaysFitted: x.alwaysFitted,
      normalisation: x.normalisation,
    })),
    positivity: positivity!.map((p) => ({ name: p.name })),
  };
  const arrays: Record<string, { shape: number[]; data: number[] }> = {
    grid: { shape: [G, 2], data: grid.flat() },
    truthOutputs: { shape: [G, 3], data: truthOutputs!.flat() },
  };
  subsets.forEach((x, i) => {
    arrays[`subsets/${i}/fk`] = { shape: [x.values.length, G * 3], data: (x.fk as number[][]).flat() };
    for (const f of ["values", "stat", "truth", "kinematics"] as const)
      arrays[`subsets/${i}/${f}`] = { shape: [x.values.length], data: x[f]! };
  });
  positivity!.forEach((p, j) => {
    arrays[`positivity/${j}/fk`] = { shape: [p.fk.length, G * 3], data: (p.fk as number[][]).flat() };
  });
  return { meta, arrays };
}

describe("theory upload", () => {
  it("round-trips JSON, .npz and .npy uploads to the same stored theory, kind theory", async () => {
    const json = await h.upload({ format: "theory", name: "dis-json", theory: src });
    expect(json.row?.kind).toBe("theory");
    expect(json.row?.nPoints).toBe(24);
    const stored = await storedData(json.row!.id);
    const { meta, arrays } = split();
    const npz = await h.upload({ format: "theory", name: "dis-npz", meta, npz: b64(writeNpz(arrays)) });
    const npy = await h.upload({
      format: "theory",
      name: "dis-npy",
      meta,
      arrays: Object.fromEntries(Object.entries(arrays).map(([k, a]) => [k, b64(writeNpy(a.shape, a.data))])),
    });
    expect(await storedData(npz.row!.id)).toEqual(stored);
    expect(await storedData(npy.row!.id)).toEqual(stored);
    // what is stored builds the task the uploaded JSON builds
    const a = buildTheoryTask(stored);
    const b = buildTheoryTask(src);
    expect(Array.from(a.head.kind === "fk" ? a.head.fk : [])).toEqual(
      Array.from(b.head.kind === "fk" ? b.head.fk : []),
    );
    expect(Array.from(a.dataset.central)).toEqual(Array.from(b.dataset.central));
    const row = await h.tdb.db.dataset.findFirstOrThrow({ where: { id: json.row!.id, orgId: h.s.org.id } });
    expect((row.summary as { theory: { gridPoints: number } }).theory.gridPoints).toBe(G);
  });

  it("refuses bad arrays by name and index, storing nothing", async () => {
    const before = await h.stored();
    const bad = structuredClone(src);
    (bad.subsets[2]!.fk[3] as number[])[5] = Number.NaN;
    const r1 = await h.upload({ format: "theory", name: "bad1", theory: bad });
    expect(r1.fields).toEqual({ "theory.subsets.2.fk.3.5": "must be a finite number" });
    const short = structuredClone(src);
    short.subsets[1]!.stat!.pop();
    const r2 = await h.upload({ format: "theory", name: "bad2", theory: short });
    expect(Object.keys(r2.fields ?? {})).toEqual(["theory.subsets.1.stat"]);
    const { meta, arrays } = split();
    arrays["subsets/0/fk"] = { shape: [6, G * 2], data: new Array(6 * G * 2).fill(0) };
    const r3 = await h.upload({ format: "theory", name: "bad3", meta, npz: b64(writeNpz(arrays)) });
    expect(r3.fields?.["theory.subsets.0.fk.0"]).toMatch(/has 28 entries, expected grid rows × outputs = 42/);
    const r4 = await h.upload({
      format: "theory",
      name: "bad4",
      meta,
      npz: b64(new Uint8Array([1, 2, 3, 4])),
    });
    expect(r4.fields?.["npz.npz"]).toMatch(/not a zip archive/);
    const r5 = await h.upload({ format: "theory", name: "bad5", theory: { ...src, nOutputs: 15 } });
    expect(r5.fields).toEqual({ "theory.nOutputs": "15 outputs, at most 14" });
    const r6 = await h.upload({ format: "theory", name: "bad6", meta });
    expect(Object.keys(r6.fields ?? {})).toEqual(["theory"]);
    expect(await h.stored()).toBe(before);
  });
});

describe("theory upload as files (the REST multipart route)", () => {
  /** A form as a browser sends it, serialised; the handler's field errors on a refusal. */
  async function sendForm(entries: [string, string | Uint8Array, string?][]) {
    const form = new FormData();
    for (const [k, v, filename] of entries) {
      if (typeof v === "string" && filename === undefined) form.append(k, v);
      else form.append(k, new Blob([v as Uint8Array<ArrayBuffer>]), filename ?? k);
    }
    const req = new Response(form);
    const input = {
      contentType: req.headers.get("content-type")!,
      body: new Uint8Array(await req.arrayBuffer()),
    };
    try {
      return { row: await uploadTheoryFilesHandler({ ctx: h.ctx(), input }) };
    } catch (err) {
      if (err instanceof TRPCError && err.cause instanceof ZodError)
        return { fields: fieldErrors(err.cause) };
      throw err;
    }
  }

  it("stores .npy files named by array path (as the browser names them) as the JSON theory", async () => {
    const json = await h.upload({ format: "theory", name: "files-json", theory: src });
    const { meta, arrays } = split();
    const npy = Object.entries(arrays).map(
      ([k, a]) =>
        [k.replaceAll("/", "."), writeNpy(a.shape, a.data), `${k.replaceAll("/", ".")}.npy`] as [
          string,
          Uint8Array,
          string,
        ],
    );
    const files = await sendForm([
      ["name", "files-npy"],
      ["meta", JSON.stringify(meta), "meta.json"],
      ...npy,
    ]);
    expect(files.fields).toBeUndefined();
    expect(files.row?.kind).toBe("theory");
    expect(await storedData(files.row!.id)).toEqual(await storedData(json.row!.id));
    const whole = await sendForm([
      ["name", "files-whole"],
      ["theory", JSON.stringify(src), "theory.json"],
    ]);
    expect(await storedData(whole.row!.id)).toEqual(await storedData(json.row!.id));
  });

  it("refuses by field: a bad array by name and index, a broken .npy, a form without its parts", async () => {
    const before = await h.stored();
    const { meta, arrays } = split();
    const bad = {
      ...arrays,
      "subsets/3/fk": { ...arrays["subsets/3/fk"]!, data: [...arrays["subsets/3/fk"]!.data] },
    };
    bad["subsets/3/fk"]!.data[2 * G * 3 + 7] = Number.POSITIVE_INFINITY;
    const r1 = await sendForm([
      ["name", "bad-f1"],
      ["meta", JSON.stringify(meta)],
      ["npz", writeNpz(bad)],
    ]);
    expect(r1.fields).toEqual({ "theory.subsets.3.fk.2.7": "must be a finite number" });
    const r2 = await sendForm([
      ["name", "bad-f2"],
      ["meta", JSON.stringify(meta)],
      ["grid", writeNpy([G, 2], arrays["grid"]!.data)],
      ["subsets.0.fk", new Uint8Array([147, 78, 85, 77, 80, 89, 1, 0, 0, 0])],
    ]);
    expect(Object.keys(r2.fields ?? {})).toEqual(["arrays.subsets.0.fk"]);
    const r3 = await sendForm([
      ["name", "bad-f3"],
      ["npz", writeNpz(arrays)],
    ]);
    expect(Object.keys(r3.fields ?? {})).toEqual(["meta"]);
    const r4 = await sendForm([
      ["name", "bad-f4"],
      ["theory", "{"],
    ]);
    expect(r4.fields?.["theory"]).toMatch(/not valid JSON/);
    const r5 = await sendForm([["theory", JSON.stringify(src)]]);
    expect(Object.keys(r5.fields ?? {})).toEqual(["name"]);
    expect(await h.stored()).toBe(before);
  });
});

describe("the stored JSON in parts (jsonParts)", () => {
  it("never splits a character, from text or from UTF-8 bytes, and the parts join to the whole", () => {
    const text = JSON.stringify({
      name: "Δσ 😀 naïve",
      fk: [
        [0.1, 2e-7],
        [3, 4],
      ],
      tag: "😀😀é",
    });
    const bytes = new TextEncoder().encode(text);
    for (const size of [2, 3, 4, 5, 7, 64]) {
      const fromText = [...jsonParts(text, size)];
      const fromBytes = [...jsonParts(bytes, size)];
      expect(fromText.join("")).toBe(text);
      expect(fromBytes.join("")).toBe(text);
      for (const part of [...fromText, ...fromBytes]) {
        expect(part.length).toBeGreaterThan(0);
        // no lone surrogate, no U+FFFD from a cut UTF-8 sequence
        expect(part).not.toMatch(
          /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|\uFFFD/,
        );
      }
      expect(fromText.every((p) => p.length <= size)).toBe(true);
    }
  });
});
