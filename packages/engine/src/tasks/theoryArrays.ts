import { DatasetError } from "../data/dataset.ts";
import { type DatasetLimits, DEFAULT_DATASET_LIMITS } from "../data/limits.ts";
import { type NpyArray, NpyError, type NpyLimits, readNpy, readNpz } from "../data/npy.ts";

/**
 * A theory from NumPy arrays: the theory JSON without its large arrays (`meta`), plus arrays named
 * by their path in the theory JSON, "/" or "." separated: `grid` [G, D] (or [G]: one feature),
 * `subsets/<i>/fk` [N_i, G·F] or [N_i, G, F], `subsets/<i>/values|stat|truth|kinematics` [N_i],
 * `subsets/<i>/sys` [N_i, K], `covariance` [N, N], `positivity/<j>/fk` [n_j, G·F] or [n_j, G, F],
 * `truthOutputs` [G, F]. An array replaces the field of that name in `meta`; errors name the array.
 */
const VECTOR_FIELDS = new Set(["values", "stat", "truth", "kinematics"]);
const MATRIX_FIELDS = new Set(["fk", "sys"]);

/** Element limit of one array, from the theory limits (the largest legal FK map). */
export function npyLimits(limits: DatasetLimits = DEFAULT_DATASET_LIMITS): NpyLimits {
  const fk = limits.maxTheoryPoints * limits.maxGridPoints * limits.maxTheoryOutputs;
  const cov = limits.maxTheoryPoints * limits.maxTheoryPoints;
  const maxElements = Math.max(fk, cov);
  return {
    maxElements,
    maxEntries: 8 * limits.maxTheorySubsets + 2 * 100 + 4,
    // every array at its largest: the FK maps and a covariance, as float64, plus headers
    maxInflatedBytes: (fk + cov) * 8 + 64 * 1024 * 1024,
  };
}

function rows(a: NpyArray, name: string): Float64Array[] {
  if (a.shape.length < 2 || a.shape.length > 3)
    throw new NpyError(name, `shape (${a.shape.join(", ")}): expected 2 or 3 dimensions`);
  const n = a.shape[0]!;
  const w = a.shape.slice(1).reduce((x, y) => x * y, 1);
  return Array.from({ length: n }, (_, i) => a.data.subarray(i * w, (i + 1) * w));
}

function vector(a: NpyArray, name: string): number[] {
  if (a.shape.length !== 1) throw new NpyError(name, `shape (${a.shape.join(", ")}): expected 1 dimension`);
  return Array.from(a.data);
}

function matrix(a: NpyArray, name: string): number[][] {
  if (a.shape.length === 1) return Array.from(a.data, (v) => [v]);
  return rows(a, name).map((r) => Array.from(r));
}

/** Put each array at its path in a copy of `meta`; the result is a theory JSON for checkTheory. */
export function theoryFromArrays(meta: unknown, arrays: Map<string, NpyArray>): Record<string, unknown> {
  if (typeof meta !== "object" || meta === null || Array.isArray(meta))
    throw new DatasetError("must be the theory's JSON fields (format, nOutputs, subsets' names, ...)", [
      "meta",
    ]);
  const theory = { format: "theory", ...(meta as Record<string, unknown>) } as Record<string, unknown>;
  const listAt = (key: string): Record<string, unknown>[] => {
    const cur = theory[key];
    const list = Array.isArray(cur) ? cur.map((x) => ({ ...(x as object) })) : [];
    theory[key] = list;
    return list as Record<string, unknown>[];
  };
  for (const [name, a] of arrays) {
    const path = name.split(/[/.]/);
    if (path.length === 1) {
      const key = path[0]!;
      if (key === "grid" || key === "covariance" || key === "truthOutputs") theory[key] = matrix(a, name);
      else
        throw new NpyError(
          name,
          "unknown array (grid, covariance, truthOutputs, subsets/<i>/<field>, positivity/<j>/fk)",
        );
      continue;
    }
    const [group, index, field] = path as [string, string, string?];
    const i = Number(index);
    if (
      (group !== "subsets" && group !== "positivity") ||
      !Number.isSafeInteger(i) ||
      i < 0 ||
      !field ||
      path.length > 3
    )
      throw new NpyError(
        name,
        "unknown array (grid, covariance, truthOutputs, subsets/<i>/<field>, positivity/<j>/fk)",
      );
    const list = listAt(group);
    if (i >= list.length + 1000)
      throw new NpyError(name, `index ${i} is far past the ${list.length} entries of meta.${group}`);
    while (list.length <= i) list.push({});
    const entry = list[i]!;
    if (field === "fk" || (group === "subsets" && MATRIX_FIELDS.has(field)))
      entry[field] = field === "fk" ? rows(a, name) : matrix(a, name);
    else if (group === "subsets" && VECTOR_FIELDS.has(field)) entry[field] = vector(a, name);
    else throw new NpyError(name, `unknown field "${field}" of ${group}`);
  }
  return theory;
}

/** A theory from an .npz archive (arrays) and its JSON fields; limits before inflating. */
export function theoryFromNpz(
  meta: unknown,
  npz: Uint8Array,
  limits: DatasetLimits = DEFAULT_DATASET_LIMITS,
): Record<string, unknown> {
  return theoryFromArrays(meta, readNpz(npz, npyLimits(limits)));
}

/** A theory from separate .npy files, keyed by their array path. */
export function theoryFromNpyFiles(
  meta: unknown,
  files: Record<string, Uint8Array>,
  limits: DatasetLimits = DEFAULT_DATASET_LIMITS,
): Record<string, unknown> {
  const lim = npyLimits(limits);
  const names = Object.keys(files);
  if (names.length > lim.maxEntries)
    throw new NpyError("arrays", `${names.length} arrays, at most ${lim.maxEntries}`);
  return theoryFromArrays(meta, new Map(names.map((n) => [n, readNpy(files[n]!, n, lim)])));
}
