import { readFile, stat } from "node:fs/promises";
import type { TheoryFilesUpload, TheoryUpload } from "./client.ts";

/** What `hens dataset upload --theory` reads from the command line. */
interface TheoryOptions {
  name?: string | undefined;
  theory?: string | undefined;
  npz?: string | undefined;
  npy?: string[] | undefined;
}

export class TheoryUsageError extends Error {}

/**
 * Files up to this many bytes in all go as JSON (base64 arrays) to POST /datasets, within the JSON
 * body cap (HENS_MAX_BODY_BYTES, 12 MiB: base64 adds a third); larger ones as multipart files to POST
 * /datasets/theory, within HENS_THEORY_MAX_BYTES (256 MiB by default).
 */
export const THEORY_JSON_MAX_BYTES = 4 * 1024 * 1024;

/**
 * A theory upload from files: `--theory theory.json` alone (the whole theory as JSON), or
 * `--theory meta.json` (its fields without the big arrays) with `--npz arrays.npz` or repeated
 * `--npy subsets/0/fk=fk0.npy` (array path = file). Small files go as JSON with the arrays in base64;
 * past THEORY_JSON_MAX_BYTES, as the files themselves (multipart). The server reads and checks them
 * (limits before inflating; errors name the array).
 */
export async function theoryUpload(
  values: TheoryOptions,
  jsonMaxBytes = THEORY_JSON_MAX_BYTES,
): Promise<TheoryUpload | TheoryFilesUpload> {
  if (!values.name) throw new TheoryUsageError("give the dataset a --name");
  if (!values.theory) throw new TheoryUsageError("give the theory's JSON with --theory FILE");
  if (values.npz && values.npy?.length) throw new TheoryUsageError("give --npz or --npy, not both");
  const npy = (values.npy ?? []).map((spec) => {
    const eq = spec.indexOf("=");
    if (eq <= 0)
      throw new TheoryUsageError(`--npy ${spec}: expected ARRAY_PATH=FILE.npy (e.g. subsets/0/fk=fk0.npy)`);
    return { path: spec.slice(0, eq), file: spec.slice(eq + 1) };
  });
  const files = [values.theory, ...(values.npz ? [values.npz] : []), ...npy.map((a) => a.file)];
  let total = 0;
  for (const f of files) {
    try {
      total += (await stat(f)).size;
    } catch (err) {
      throw new TheoryUsageError(`${f}: ${(err as Error).message}`);
    }
  }
  if (total > jsonMaxBytes) {
    const read = async (f: string) => new Uint8Array(await readFile(f));
    const body = await read(values.theory);
    if (values.npz)
      return { format: "theory-files", name: values.name, meta: body, npz: await read(values.npz) };
    if (npy.length) {
      const arrays: Record<string, Uint8Array> = {};
      for (const a of npy) arrays[a.path] = await read(a.file);
      return { format: "theory-files", name: values.name, meta: body, arrays };
    }
    return { format: "theory-files", name: values.name, theory: body };
  }
  let json: unknown;
  try {
    json = JSON.parse(await readFile(values.theory, "utf8"));
  } catch (err) {
    throw new TheoryUsageError(`--theory ${values.theory}: ${(err as Error).message}`);
  }
  const b64 = async (file: string) => (await readFile(file)).toString("base64");
  if (values.npz) return { format: "theory", name: values.name, meta: json, npz: await b64(values.npz) };
  if (npy.length) {
    const arrays: Record<string, string> = {};
    for (const a of npy) arrays[a.path] = await b64(a.file);
    return { format: "theory", name: values.name, meta: json, arrays };
  }
  return { format: "theory", name: values.name, theory: json };
}
