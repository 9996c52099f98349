import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { gzip, tarArchive } from "./tar";

describe("tarArchive", () => {
  const files = {
    "hens_x.info": "SetDesc: test\nNumMembers: 2\n",
    "hens_x_0000.dat": `PdfType: central\n---\n${"0.1 ".repeat(300)}\n---\n`,
    "hens_x_0001.dat": "",
  };

  it("is read back by GNU tar, file by file, under the set's folder", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "hens-tar-"));
    writeFileSync(path.join(dir, "set.tar"), tarArchive("hens_x", files));
    expect(
      execFileSync("tar", ["-tf", "set.tar"], { cwd: dir, encoding: "utf8" }).trim().split("\n"),
    ).toEqual(["hens_x/hens_x.info", "hens_x/hens_x_0000.dat", "hens_x/hens_x_0001.dat"]);
    execFileSync("tar", ["-xf", "set.tar"], { cwd: dir });
    for (const [name, text] of Object.entries(files))
      expect(readFileSync(path.join(dir, "hens_x", name), "utf8")).toBe(text);
  });

  it("gzips to what gunzip reads back; a name longer than ustar allows is refused", async () => {
    const tar = tarArchive("hens_x", files);
    expect(tar.length % 512).toBe(0);
    expect(Buffer.from(gunzipSync(await gzip(tar))).equals(Buffer.from(tar))).toBe(true);
    expect(() => tarArchive("d".repeat(120), { a: "" })).toThrow(/does not fit/);
  });
});
