import { z } from "zod";
import { buildDataset, type Dataset, type DatasetJson } from "../data/dataset.ts";
import { DatasetLimitError, type DatasetLimits, DEFAULT_DATASET_LIMITS } from "../data/limits.ts";
import { buildDatasetOffThread } from "../data/validate.ts";
import { standardise, type Task } from "./task.ts";

/**
 * The generic tabular task: features → targets with errors. The dataset comes either in the dataset
 * JSON format (data/dataset.ts) or as CSV text with named columns.
 */
export const csvSourceSchema = z.object({
  format: z.literal("csv"),
  csv: z.string().min(1),
  /** Feature columns. */
  inputs: z.array(z.string()).min(1),
  /** Target columns (each becomes one model output). */
  targets: z.array(z.string()).min(1),
  /** Error column per target (statistical, uncorrelated). */
  errors: z.array(z.string()).min(1),
  /** Column naming the sub-dataset of each row (default: one sub-dataset "data"). */
  subset: z.string().optional(),
  alwaysFitted: z.array(z.string()).optional(),
  /** Relative normalisation uncertainty per sub-dataset. */
  normalisation: z.number().min(0).optional(),
});

export const tabularSourceSchema = z.union([
  csvSourceSchema,
  z.object({ subsets: z.array(z.unknown()) }).loose(),
]);
export type CsvSource = z.infer<typeof csvSourceSchema>;

function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      out.push(cur.trim());
      cur = "";
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

/** Lines that csvToDatasetJson reads (not blank, not a # comment), counted without splitting the text. */
export function countCsvLines(csv: string): number {
  let count = 0;
  let start = 0;
  while (start <= csv.length) {
    let end = csv.indexOf("\n", start);
    if (end < 0) end = csv.length;
    let k = start;
    while (k < end && /\s/.test(csv[k]!)) k++;
    if (k < end && csv.charCodeAt(start) !== 35) count++;
    start = end + 1;
  }
  return count;
}

/**
 * The CSV's size limits, before it is split or parsed: input and target columns, and points (data
 * lines × targets). Throws DatasetLimitError naming `inputs`, `targets` or `csv`.
 */
export function checkCsvLimits(src: CsvSource, limits: DatasetLimits = DEFAULT_DATASET_LIMITS): void {
  if (src.inputs.length > limits.maxInputs)
    throw new DatasetLimitError(
      ["inputs"],
      `${src.inputs.length} input columns, at most ${limits.maxInputs}`,
      "maxInputs",
    );
  if (src.targets.length > limits.maxOutputs)
    throw new DatasetLimitError(
      ["targets"],
      `${src.targets.length} target columns, at most ${limits.maxOutputs}`,
      "maxOutputs",
    );
  const rows = Math.max(0, countCsvLines(src.csv) - 1);
  const points = rows * src.targets.length;
  if (points > limits.maxPoints)
    throw new DatasetLimitError(
      ["csv"],
      `${rows} rows × ${src.targets.length} targets = ${points} points, over the limit of ${limits.maxPoints} points`,
      "maxPoints",
    );
}

/** CSV → dataset JSON; errors name the column or the line. Limits are checked before parsing. */
export function csvToDatasetJson(
  src: CsvSource,
  limits: DatasetLimits = DEFAULT_DATASET_LIMITS,
): DatasetJson {
  if (src.errors.length !== src.targets.length)
    throw new Error(`errors: ${src.errors.length} error columns for ${src.targets.length} targets`);
  checkCsvLimits(src, limits);
  const lines = src.csv.split(/\r?\n/).filter((l) => l.trim() !== "" && !l.startsWith("#"));
  const header = splitCsvLine(lines[0] ?? "");
  const col = (name: string, field: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`${field}: column "${name}" not in the CSV header (${header.join(", ")})`);
    return i;
  };
  const inCols = src.inputs.map((c) => col(c, "inputs"));
  const tCols = src.targets.map((c) => col(c, "targets"));
  const eCols = src.errors.map((c) => col(c, "errors"));
  const sCol = src.subset !== undefined ? col(src.subset, "subset") : -1;
  const groups = new Map<
    string,
    { inputs: number[][]; values: number[]; stat: number[]; outputs: number[] }
  >();
  lines.slice(1).forEach((line, li) => {
    const cells = splitCsvLine(line);
    const num = (i: number) => {
      const v = Number(cells[i]);
      if (cells[i] === undefined || cells[i] === "" || !Number.isFinite(v))
        throw new Error(
          `csv line ${li + 2}, column "${header[i]}": "${cells[i] ?? ""}" is not a finite number`,
        );
      return v;
    };
    const name = sCol >= 0 ? (cells[sCol] ?? "") : "data";
    let g = groups.get(name);
    if (!g) {
      g = { inputs: [], values: [], stat: [], outputs: [] };
      groups.set(name, g);
    }
    const x = inCols.map(num);
    tCols.forEach((tc, k) => {
      g.inputs.push(x);
      g.values.push(num(tc));
      g.stat.push(num(eCols[k]!));
      g.outputs.push(k);
    });
  });
  return {
    name: "tabular",
    inputNames: src.inputs,
    nOutputs: src.targets.length,
    outputNames: src.targets,
    subsets: [...groups].map(([name, g]) => ({
      name,
      alwaysFitted: src.alwaysFitted?.includes(name) ?? false,
      ...g,
      ...(src.normalisation ? { normalisation: src.normalisation } : {}),
    })),
  };
}

/** Accept dataset JSON, a CSV source object, or a JSON string of either. */
export function parseTabularSource(source: unknown): DatasetJson {
  const value = typeof source === "string" ? JSON.parse(source) : source;
  const csv = csvSourceSchema.safeParse(value);
  if (csv.success) return csvToDatasetJson(csv.data);
  return value as DatasetJson;
}

export function buildTabularTask(source: unknown): Task {
  return tabularTask(buildDataset(parseTabularSource(source)));
}

/**
 * buildTabularTask with the covariance factorised in worker threads (data/validate.ts), so the caller's
 * event loop keeps running (the runner's heartbeats). `limits` bound the build as at upload.
 */
export async function buildTabularTaskOffThread(
  source: unknown,
  limits: DatasetLimits = DEFAULT_DATASET_LIMITS,
): Promise<Task> {
  return tabularTask(await buildDatasetOffThread(parseTabularSource(source), limits));
}

function tabularTask(dataset: Dataset): Task {
  const F = dataset.nOutputs;
  const index = Int32Array.from(dataset.outputs, (o, i) => i * F + o);
  return {
    kind: "tabular",
    dataset,
    modelInputs: standardise(dataset.inputs),
    nOutputs: F,
    // The dataset's own names (a CSV's target columns); numbered only where it gave none.
    outputNames: dataset.outputNames ?? Array.from({ length: F }, (_, f) => `output_${f}`),
    head: { kind: "select", index },
    pseudoData: true,
    plot: { x: dataset.inputs.map((r) => r[0]!), xLabel: dataset.inputNames[0] ?? "x0" },
  };
}
