import type { TheoryUploadSource } from "@hyperensemble/engine";
import { MultipartError, multipartBoundary, parseMultipart } from "../../multipart";
import { fieldError } from "../field-error";
import { ZDatasetName } from "./upload.schema";

/** Form fields that are not arrays; every other part is an .npy file named by its array path. */
const FIELDS = new Set(["name", "theory", "meta", "npz"]);

/**
 * A multipart theory upload (docs/api.md, "Large theories") as the worker's source: `name` (text),
 * and `theory` (the whole theory as a JSON file), or `meta` (its JSON fields) with `npz` (one .npz)
 * or one .npy file per array, the part named by the array's path (`subsets/0/fk`, `grid`), as the
 * CLI's `--npy PATH=FILE` names them. Nothing is parsed here but the form's framing; errors name the
 * field.
 */
export function theoryFilesSource(
  contentType: string,
  body: Uint8Array,
): { name: string; source: TheoryUploadSource } {
  const boundary = multipartBoundary(contentType);
  if (!boundary)
    throw fieldError(
      ["body"],
      "send the theory as multipart/form-data (name, theory or meta with npz or .npy files)",
    );
  let parts: ReturnType<typeof parseMultipart>;
  try {
    parts = parseMultipart(body, boundary);
  } catch (err) {
    if (err instanceof MultipartError) throw fieldError(["body"], err.message);
    throw err;
  }
  const one = (field: string) => {
    const found = parts.filter((p) => p.name === field);
    if (found.length > 1) throw fieldError([field], `sent ${found.length} times, give it once`);
    return found[0]?.data;
  };
  const rawName = one("name");
  const name = ZDatasetName.safeParse(rawName === undefined ? undefined : new TextDecoder().decode(rawName));
  if (!name.success) throw fieldError(["name"], name.error.issues[0]?.message ?? "name is required");
  const theory = one("theory");
  const metaFile = one("meta");
  const npz = one("npz");
  const arrayParts = parts.filter((p) => !FIELDS.has(p.name));
  const sources = [theory, npz, arrayParts.length ? arrayParts : undefined].filter((v) => v !== undefined);
  if (sources.length !== 1)
    throw fieldError(["theory"], "give exactly one of theory, npz or .npy files (one part per array path)");
  if (theory) return { name: name.data, source: { theoryFile: theory } };
  if (!metaFile) throw fieldError(["meta"], "meta (the theory's JSON fields) goes with npz or .npy files");
  if (npz) return { name: name.data, source: { metaFile, npz } };
  // no prototype: an array path is any text the form sent ("__proto__" included)
  const arrays: Record<string, Uint8Array> = Object.create(null);
  for (const p of arrayParts) {
    if (Object.hasOwn(arrays, p.name))
      throw fieldError(["arrays", p.name], "sent twice, give each array once");
    arrays[p.name] = p.data;
  }
  return { name: name.data, source: { metaFile, arrays } };
}
