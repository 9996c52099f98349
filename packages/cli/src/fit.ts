import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { FitRow, HensClient } from "./client.ts";

/** Final fits (issue 16): start one, follow it to its end, export it. */
export const FIT_USAGE = `  hens fit create <studyId> [--replicas R] [--trial N]
                                           fit R replicas (default 100) of the study's selected
                                           configuration (or trial N); prints the fit's id
  hens fit follow <fitId> [--interval 2]   print progress until the fit ends (exit 1: FAILED/CANCELLED)
  hens fit export <fitId> --format lhapdf|weights|json -o DIR
                                           lhapdf: the set's .info and .dat files into DIR;
                                           weights/json: DIR/<fitId>.<format>.json
  hens fit evaluate <fitId> -f rows.json [--format json|csv] [-o FILE]
                                           the kept replicas on your feature rows (a JSON array of
                                           rows, or { "rows": [...] }; at most 200 rows)`;

export const FIT_COMMANDS: Record<string, { id: string }> = {
  "fit create": { id: "hens fit create <studyId> [--replicas R] [--trial N]" },
  "fit follow": { id: "hens fit follow <fitId>" },
  "fit export": { id: "hens fit export <fitId> --format lhapdf|weights|json -o DIR" },
  "fit evaluate": { id: "hens fit evaluate <fitId> -f rows.json [--format json|csv] [-o FILE]" },
};

export class FitCommandError extends Error {}

const FORMATS = ["lhapdf", "weights", "json"] as const;
const EVALUATE_FORMATS = ["json", "csv"] as const;
const FINAL = new Set(["COMPLETED", "FAILED", "CANCELLED"]);

interface Io {
  stdout: { write(chunk: string): unknown };
  sleep?: (ms: number) => Promise<void>;
}

const whole = (flag: string, raw: string | undefined, fallback?: number): number | undefined => {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new FitCommandError(`--${flag} must be a whole number, got "${raw}"`);
  return Number(raw);
};

/** Checks made before any request: unknown formats, missing -o, bad numbers. */
export function checkFitCommand(
  verb: string | undefined,
  values: { replicas?: string; trial?: string; format?: string; output?: string; file?: string },
): void {
  if (verb === "create") {
    whole("replicas", values.replicas);
    whole("trial", values.trial);
  }
  if (verb === "evaluate") {
    if (!values.file) throw new FitCommandError("give the rows file with -f rows.json");
    if (values.format !== undefined && !EVALUATE_FORMATS.includes(values.format as "json"))
      throw new FitCommandError(`--format must be ${EVALUATE_FORMATS.join(", ")}`);
  }
  if (verb === "export") {
    if (!FORMATS.includes(values.format as (typeof FORMATS)[number]))
      throw new FitCommandError(`--format must be ${FORMATS.join(", ")}`);
    if (!values.output) throw new FitCommandError("give the output folder with -o DIR");
  }
}

const line = (f: FitRow) =>
  `${f.id}  ${f.state.padEnd(9)} ${(f.progress * 100).toFixed(0).padStart(3)}%  ${f.runnerSeconds.toFixed(1)} s` +
  (f.kept !== null ? `  kept ${f.kept}/${f.replicas}` : "") +
  (f.error ? `  ${f.error}` : "");

export async function fitCommand(
  client: HensClient,
  org: string,
  args: {
    verb: string | undefined;
    id: string;
    values: {
      replicas?: string;
      trial?: string;
      format?: string;
      output?: string;
      interval?: string;
      file?: string;
    };
  },
  io: Io,
): Promise<number> {
  const out = (s: string) => io.stdout.write(`${s}\n`);
  const { verb, id, values } = args;
  checkFitCommand(verb, values);
  if (verb === "create") {
    const trial = whole("trial", values.trial);
    const fit = await client.createFit(org, id, {
      replicas: whole("replicas", values.replicas, 100)!,
      ...(trial !== undefined ? { trial } : {}),
    });
    out(fit.id);
    return 0;
  }
  if (verb === "follow") {
    const sleep = io.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
    let last = "";
    for (;;) {
      const fit = await client.getFit(org, id);
      const text = line(fit);
      if (text !== last) out(text);
      last = text;
      if (FINAL.has(fit.state)) {
        if (fit.outcome && fit.state === "COMPLETED") {
          // the outcome's χ² are per point already (PointSet.chi2 divides by the points)
          for (const d of fit.outcome.datasets)
            out(`  ${d.name.padEnd(24)} ${String(d.nPoints).padStart(5)}  χ²/N ${d.chi2?.toFixed(3) ?? "–"}`);
          out(`  central χ²/N ${fit.outcome.centralChi2}  φ² ${fit.outcome.phi2}`);
        }
        return fit.state === "COMPLETED" ? 0 : 1;
      }
      await sleep(Number(values.interval ?? "2") * 1000);
    }
  }
  if (verb === "evaluate") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(values.file!, "utf8"));
    } catch (err) {
      throw new FitCommandError(`${values.file}: ${(err as Error).message}`);
    }
    const rows = Array.isArray(parsed) ? parsed : (parsed as { rows?: unknown } | null)?.rows;
    if (!Array.isArray(rows))
      throw new FitCommandError(`${values.file}: expected an array of rows or { "rows": [...] }`);
    const format = (values.format ?? "json") as (typeof EVALUATE_FORMATS)[number];
    // the server checks each row (width, finite numbers, limits) and names the bad one
    const body = await client.evaluateFit(org, id, { rows: rows as number[][], format });
    const text = format === "csv" ? String(body["csv"]) : `${JSON.stringify(body)}\n`;
    if (values.output) {
      await writeFile(values.output, text);
      out(values.output);
    } else io.stdout.write(text);
    return 0;
  }
  const format = values.format as (typeof FORMATS)[number];
  const dir = values.output!;
  const body = await client.exportFit(org, id, format);
  await mkdir(dir, { recursive: true });
  if (format === "lhapdf") {
    const files = body["files"] as Record<string, string>;
    for (const [name, text] of Object.entries(files)) {
      // names come from the server: never outside DIR
      if (path.basename(name) !== name) throw new Error(`export: bad file name ${JSON.stringify(name)}`);
      await writeFile(path.join(dir, name), text);
    }
    out(`${Object.keys(files).length} files in ${dir}`);
  } else {
    const file = path.join(dir, `${id}.${format}.json`);
    await writeFile(file, `${JSON.stringify(body)}\n`);
    out(file);
  }
  return 0;
}
