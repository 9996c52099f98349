/**
 * A fit as an LHAPDF6 set (format lhagrid1): `<name>.info` (YAML metadata) and one
 * `<name>_<member 4 digits>.dat` per member, member 0 the mean of the kept replicas (ErrorType
 * replicas), members 1..R the kept replicas in order. Values are x·f(x) on the fit's x-grid.
 *
 * Scale: the engine does no evolution, so a fit is at one scale Q0. LHAPDF interpolates in Q and
 * needs at least two Q knots: the grid has the knots Q0 and 2·Q0 with the same values, so the set
 * is constant in Q between them (QMin = Q0, QMax = 2·Q0); anything evaluated outside is an
 * extrapolation. Particle IDs: one per output, given by the caller (default 1..F, in output order).
 */
export interface LhapdfInput {
  name: string;
  description: string;
  /** x grid (ascending after sorting; each x in (0, 1)). */
  x: number[];
  /** Kept replicas' f on the grid, [R][G·F] (index g·F + f). */
  replicas: ArrayLike<number>[];
  nOutputs: number;
  pids?: number[];
  q0?: number;
}

const num = (v: number) => v.toExponential(8);

/** The set's files by name. */
export function lhapdfSet(input: LhapdfInput): Record<string, string> {
  const F = input.nOutputs;
  const G = input.x.length;
  const pids = input.pids ?? Array.from({ length: F }, (_, f) => f + 1);
  if (pids.length !== F) throw new Error(`pids: ${pids.length} ids for ${F} outputs`);
  if (!/^[\w.+-]+$/.test(input.name)) throw new Error(`name: "${input.name}" is not a file name`);
  if (input.replicas.length === 0) throw new Error("replicas: no replica to export");
  const q0 = input.q0 ?? 1.65;
  const order = input.x.map((x, g) => ({ x, g })).sort((a, b) => a.x - b.x);
  const R = input.replicas.length;
  const mean = new Float64Array(G * F);
  for (const r of input.replicas) for (let j = 0; j < G * F; j++) mean[j]! += r[j]! / R;
  const member = (values: ArrayLike<number>, kind: "central" | "replica") => {
    const lines = [`PdfType: ${kind}`, "Format: lhagrid1", "---"];
    lines.push(order.map((o) => num(o.x)).join(" "));
    lines.push(`${num(q0)} ${num(2 * q0)}`);
    lines.push(pids.join(" "));
    for (const { x, g } of order) {
      const row = Array.from({ length: F }, (_, f) => num(x * values[g * F + f]!)).join(" ");
      lines.push(row, row); // Q0 and 2·Q0: Q is the inner loop
    }
    lines.push("---");
    return `${lines.join("\n")}\n`;
  };
  const files: Record<string, string> = {
    [`${input.name}.info`]: `${[
      `SetDesc: ${JSON.stringify(input.description)}`,
      "Authors: HyperEnsemble",
      "Format: lhagrid1",
      "DataVersion: 1",
      `NumMembers: ${R + 1}`,
      "Particle: 2212",
      `Flavors: [${pids.join(", ")}]`,
      "OrderQCD: 0",
      "ErrorType: replicas",
      `XMin: ${num(order[0]!.x)}`,
      `XMax: ${num(order[G - 1]!.x)}`,
      `QMin: ${num(q0)}`,
      `QMax: ${num(2 * q0)}`,
      "NumFlavors: 0",
    ].join("\n")}\n`,
  };
  const name = (m: number) => `${input.name}_${String(m).padStart(4, "0")}.dat`;
  files[name(0)] = member(mean, "central");
  input.replicas.forEach((r, i) => {
    files[name(i + 1)] = member(r, "replica");
  });
  return files;
}
