import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { theoryUpload } from "./theory.ts";

const dir = mkdtempSync(path.join(tmpdir(), "hens-theory-"));
const file = (name: string, body: string | Uint8Array) => {
  const p = path.join(dir, name);
  writeFileSync(p, body);
  return p;
};

describe("hens dataset upload --theory", () => {
  const theory = file("theory.json", JSON.stringify({ format: "theory", nOutputs: 1 }));
  const npz = file("a.npz", new Uint8Array([80, 75, 5, 6]));
  const npy = file("fk0.npy", new Uint8Array([147, 78, 85, 77, 80, 89]));

  it("sends the JSON alone, or as the fields of an .npz or of .npy files (base64)", async () => {
    expect(await theoryUpload({ name: "t", theory })).toEqual({
      format: "theory",
      name: "t",
      theory: { format: "theory", nOutputs: 1 },
    });
    expect(await theoryUpload({ name: "t", theory, npz })).toEqual({
      format: "theory",
      name: "t",
      meta: { format: "theory", nOutputs: 1 },
      npz: Buffer.from([80, 75, 5, 6]).toString("base64"),
    });
    expect(await theoryUpload({ name: "t", theory, npy: [`subsets/0/fk=${npy}`] })).toEqual({
      format: "theory",
      name: "t",
      meta: { format: "theory", nOutputs: 1 },
      arrays: { "subsets/0/fk": Buffer.from([147, 78, 85, 77, 80, 89]).toString("base64") },
    });
  });

  it("past the JSON size, sends the files themselves (multipart), unparsed", async () => {
    const bytes = (p: string) => new Uint8Array(readFileSync(p));
    // 2 bytes allowed: every file here is larger
    expect(await theoryUpload({ name: "t", theory, npz }, 2)).toEqual({
      format: "theory-files",
      name: "t",
      meta: bytes(theory),
      npz: new Uint8Array([80, 75, 5, 6]),
    });
    expect(await theoryUpload({ name: "t", theory, npy: [`subsets/0/fk=${npy}`] }, 2)).toEqual({
      format: "theory-files",
      name: "t",
      meta: bytes(theory),
      arrays: { "subsets/0/fk": new Uint8Array([147, 78, 85, 77, 80, 89]) },
    });
    // a JSON theory past the size is not parsed here: the server names its errors
    expect(await theoryUpload({ name: "t", theory: file("big.json", "{") }, 0)).toEqual({
      format: "theory-files",
      name: "t",
      theory: new Uint8Array([123]),
    });
    // the default leaves the small files above as JSON
    expect((await theoryUpload({ name: "t", theory, npz })).format).toBe("theory");
  });

  it("names what is missing or malformed", async () => {
    await expect(theoryUpload({ theory })).rejects.toThrow(/--name/);
    await expect(theoryUpload({ name: "t", theory, npz, npy: [`a=${npy}`] })).rejects.toThrow(/not both/);
    await expect(theoryUpload({ name: "t", theory, npy: [npy] })).rejects.toThrow(/ARRAY_PATH=FILE\.npy/);
    await expect(theoryUpload({ name: "t", theory: file("bad.json", "{") })).rejects.toThrow(
      /--theory .*bad\.json/,
    );
  });
});
