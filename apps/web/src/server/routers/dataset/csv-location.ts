// The engine checks a CSV upload after turning it into its dataset JSON, so its errors name paths
// into that JSON ("subsets.0.stat.1"), which the uploader never wrote. This maps such a path back to
// the CSV's line and column, replaying how csvToDatasetJson groups rows (by the sub-dataset column,
// in order of appearance) and spreads each row over one point per target column.
import type { UploadDatasetInput } from "./upload.schema";

type CsvInput = Extract<UploadDatasetInput, { format: "csv" }>;

function cells(line: string): string[] {
  return line.split(",").map((c) => c.trim().replace(/^"|"$/g, ""));
}

/** "line 3, column "y_err" ("0")" for a path into the built JSON, or null when it names no cell. */
export function csvCell(input: CsvInput, path: readonly (string | number)[]): string | null {
  const [root, s, field, p, j] = path;
  if (root !== "subsets" || (typeof s !== "number" && !/^\d+$/.test(String(s)))) return null;
  if (field !== "stat" && field !== "values" && field !== "inputs") return null;
  if (p === undefined || !/^\d+$/.test(String(p))) return null;
  const subsetIndex = Number(s);
  const point = Number(p);
  const nTargets = input.targets.length;
  const lines = input.csv
    .split(/\r?\n/)
    .map((text, i) => ({ text, number: i + 1 }))
    .filter((l) => l.text.trim() !== "" && !l.text.startsWith("#"));
  const header = cells(lines[0]?.text ?? "");
  const subsetCol = input.subset !== undefined ? header.indexOf(input.subset) : -1;
  const order: string[] = [];
  const rowsOf = new Map<string, typeof lines>();
  for (const line of lines.slice(1)) {
    const name = subsetCol >= 0 ? (cells(line.text)[subsetCol] ?? "") : "data";
    if (!rowsOf.has(name)) {
      rowsOf.set(name, []);
      order.push(name);
    }
    rowsOf.get(name)?.push(line);
  }
  const rows = rowsOf.get(order[subsetIndex] ?? "");
  const row = rows?.[Math.floor(point / nTargets)];
  if (!row) return null;
  const k = point % nTargets;
  const column =
    field === "inputs"
      ? input.inputs[j === undefined ? 0 : Number(j)]
      : field === "values"
        ? input.targets[k]
        : input.errors[k];
  if (column === undefined) return null;
  const value = cells(row.text)[header.indexOf(column)] ?? "";
  return `line ${row.number}, column "${column}" ("${value}")`;
}

/** An engine message "subsets.0.stat.1: must be > 0" as "line 3, column "y_err" ("0"): must be > 0". */
export function csvMessage(input: CsvInput, message: string): string {
  const match = /^([\w.]+): (.*)$/s.exec(message);
  if (!match?.[1]) return message;
  const where = csvCell(input, match[1].split("."));
  return where ? `${where}: ${match[2]}` : message;
}
