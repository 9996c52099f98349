import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readMember } from "./fitLhapdf.test-helpers.ts";
import { lhapdfSet } from "./fitLhapdf.ts";

describe("LHAPDF6 export", () => {
  const x = [0.5, 0.001, 0.01, 0.1, 0.9];
  const F = 2;
  const replicas = [0, 1, 2].map((r) =>
    Float64Array.from({ length: x.length * F }, (_, j) => 1 + r * 0.1 + j / 7),
  );
  const files = lhapdfSet({
    name: "hens_fit",
    description: "test fit",
    x,
    replicas,
    nOutputs: F,
    pids: [21, 2],
  });

  it("parses back to the fit's x·f (1e-6), member 0 the replica mean, at two identical Q knots", () => {
    expect(Object.keys(files).sort()).toEqual([
      "hens_fit.info",
      "hens_fit_0000.dat",
      "hens_fit_0001.dat",
      "hens_fit_0002.dat",
      "hens_fit_0003.dat",
    ]);
    expect(files["hens_fit.info"]).toMatch(/NumMembers: 4\n/);
    expect(files["hens_fit.info"]).toMatch(/ErrorType: replicas\n/);
    expect(files["hens_fit.info"]).toMatch(/Flavors: \[21, 2\]\n/);
    for (let m = 0; m <= 3; m++) {
      const d = readMember(files[`hens_fit_000${m}.dat`]!);
      expect(d.meta).toMatch(m === 0 ? /PdfType: central/ : /PdfType: replica/);
      expect(d.xs).toEqual([...x].sort((a, b) => a - b));
      expect(d.pids).toEqual([21, 2]);
      expect(d.qs[1]).toBeCloseTo(2 * d.qs[0]!, 12);
      d.xs.forEach((xv, ix) => {
        const g = x.indexOf(xv);
        for (let k = 0; k < F; k++) {
          const f =
            m === 0 ? replicas.reduce((a, r) => a + r[g * F + k]!, 0) / 3 : replicas[m - 1]![g * F + k]!;
          for (const iq of [0, 1])
            expect(Math.abs(d.xf(ix, iq, k) - xv * f)).toBeLessThan(1e-6 * Math.abs(xv * f));
        }
      });
    }
  });

  it("refuses names that are not file names and pid lists of the wrong length", () => {
    expect(() => lhapdfSet({ name: "../x", description: "", x, replicas, nOutputs: F })).toThrow(/^name:/);
    expect(() => lhapdfSet({ name: "a", description: "", x, replicas, nOutputs: F, pids: [1] })).toThrow(
      /^pids:/,
    );
  });

  // Debian's lhapdf Python module reads the same files where it is installed (not on this machine:
  // `apt list --installed | grep -i lhapdf` is empty); the test then checks that it is absent.
  it("is read by the lhapdf Python module when installed", () => {
    const probe = spawnSync("python3", ["-c", "import lhapdf"], { encoding: "utf8" });
    if (probe.status !== 0) {
      expect(probe.stderr).toMatch(/No module named 'lhapdf'|not found/);
      return;
    }
    const dir = mkdtempSync(path.join(tmpdir(), "lhapdf-"));
    const setDir = path.join(dir, "hens_fit");
    execFileSync("mkdir", ["-p", setDir]);
    for (const [n, t] of Object.entries(files)) writeFileSync(path.join(setDir, n), t);
    const out = execFileSync(
      "python3",
      [
        "-c",
        `import lhapdf; lhapdf.pathsPrepend("${dir}"); p=lhapdf.mkPDF("hens_fit", 1); print(p.xfxQ(21, 0.1, 2.0))`,
      ],
      { encoding: "utf8" },
    );
    expect(Number(out)).toBeCloseTo(0.1 * replicas[0]![3 * F]!, 6);
  });
});
