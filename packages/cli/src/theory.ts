import { readFile } from "node:fs/promises";
import type { TheoryUpload } from "./client.ts";

/** What `hens dataset upload --theory` reads from the command line. */
interface TheoryOptions {
  name?: string | undefined;
  theory?: string | undefined;
  npz?: string | undefined;
  npy?: string[] | undefined;
}

export class TheoryUsageError extends Error {}

/**
 * A theory upload from files: `--theory theory.json` alone (the whole theory as JSON), or
 * `--theory meta.json` (its fields without the big arrays) with `--npz arrays.npz` or repeated
 * `--npy subsets/0/fk=fk0.npy` (array path = file). Arrays go as base64; the server reads and checks
 * them (limits before inflating; errors name the array).
 */
export async function theoryUpload(values: TheoryOptions): Promise<TheoryUpload> {
  if (!values.name) throw new TheoryUsageError("give the dataset a --name");
  if (!values.theory) throw new TheoryUsageError("give the theory's JSON with --theory FILE");
  let json: unknown;
  try {
    json = JSON.parse(await readFile(values.theory, "utf8"));
  } catch (err) {
    throw new TheoryUsageError(`--theory ${values.theory}: ${(err as Error).message}`);
  }
  const b64 = async (file: string) => (await readFile(file)).toString("base64");
  if (values.npz && values.npy?.length) throw new TheoryUsageError("give --npz or --npy, not both");
  if (values.npz) return { format: "theory", name: values.name, meta: json, npz: await b64(values.npz) };
  if (values.npy?.length) {
    const arrays: Record<string, string> = {};
    for (const spec of values.npy) {
      const eq = spec.indexOf("=");
      if (eq <= 0)
        throw new TheoryUsageError(`--npy ${spec}: expected ARRAY_PATH=FILE.npy (e.g. subsets/0/fk=fk0.npy)`);
      arrays[spec.slice(0, eq)] = await b64(spec.slice(eq + 1));
    }
    return { format: "theory", name: values.name, meta: json, arrays };
  }
  return { format: "theory", name: values.name, theory: json };
}
