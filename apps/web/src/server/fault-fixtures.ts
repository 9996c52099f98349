// The oversized uploads of the load-and-fault check (issue 13), shared by its test
// (fault.test.ts, in-process) and its benchmark (bench/fault.ts, against `next start`): CSV
// datasets of 10,000, 50,000 and 900,000 points, a 30 MB tRPC body, and what counts as an answer.

export interface FaultUpload {
  label: string;
  points: number;
  /** sub-datasets (a `exp` column); 1: no subset column */
  subsets: number;
  /** relative normalisation uncertainty: makes each sub-dataset's covariance dense */
  normalisation?: number;
  /** integer columns, so 900,000 rows stay under the 10 MB dataset limit */
  compact?: boolean;
}

export const FAULT_UPLOADS: FaultUpload[] = [
  // Ten experiments of 1,000 points, each with a normalisation uncertainty: ten dense 1,000 × 1,000
  // blocks, the block-diagonal case the target names (validates in under 2 s).
  { label: "10k points, 10 sub-datasets", points: 10_000, subsets: 10, normalisation: 0.02 },
  // The killer: 3 columns, 1.1 MB, one sub-dataset with statistical errors only.
  { label: "50k points", points: 50_000, subsets: 1 },
  // As many points as fit in 10 MB of CSV.
  { label: "900k points", points: 900_000, subsets: 1, compact: true },
];

/** The CSV text of `u`: columns x, y, dy (and exp), deterministic, every value finite, dy > 0. */
export function faultCsv(u: FaultUpload): string {
  const rows: string[] = [u.subsets > 1 ? "x,y,dy,exp" : "x,y,dy"];
  const perSubset = Math.ceil(u.points / u.subsets);
  for (let i = 0; i < u.points; i++) {
    if (u.compact) {
      rows.push(`${i},${(i * 7) % 10},1`);
      continue;
    }
    const x = (i + 0.5) / u.points;
    const y = 1 + Math.sin(6 * x) / 2 + ((i * 37) % 11) / 100;
    const exp = u.subsets > 1 ? `,e${Math.floor(i / perSubset)}` : "";
    rows.push(`${x.toFixed(6)},${y.toFixed(4)},0.05${exp}`);
  }
  return `${rows.join("\n")}\n`;
}

/** The dataset upload input (REST body, or the tRPC input without `org`). */
export function faultUploadInput(u: FaultUpload, name: string) {
  return {
    format: "csv" as const,
    name,
    csv: faultCsv(u),
    inputs: ["x"],
    targets: ["y"],
    errors: ["dy"],
    ...(u.subsets > 1 ? { subset: "exp" } : {}),
    ...(u.normalisation ? { normalisation: u.normalisation } : {}),
  };
}

export const OVERSIZE_TRPC_BYTES = 30 * 1024 * 1024;

/** A `dataset.upload` tRPC body (superjson's `{"json": input}`) of about `bytes` bytes. */
export function oversizeTrpcBody(org: string, name: string, bytes = OVERSIZE_TRPC_BYTES): string {
  const row = "0.5,1.0,0.05\n";
  // Each newline is two bytes once JSON-escaped.
  const csv = `x,y,dy\n${row.repeat(Math.ceil(bytes / (row.length + 1)))}`;
  return JSON.stringify({
    json: { org, format: "csv", name, csv, inputs: ["x"], targets: ["y"], errors: ["dy"] },
  });
}

export type Verdict = "accepted" | "refused" | "refused without a field" | "server error";

/**
 * What an answer says: accepted (2xx), refused naming the field at fault (4xx with `fieldErrors`,
 * or a 413 whose code names the body limit), refused without saying what, or a server error.
 * Reads both REST (`{error: {code, fieldErrors}}`) and tRPC (`{error: {json: {data: {...}}}}`).
 */
export function classifyAnswer(
  status: number,
  body: unknown,
): { verdict: Verdict; field?: string; code?: string } {
  if (status >= 200 && status < 300) return { verdict: "accepted" };
  if (status < 400 || status >= 500) return { verdict: "server error" };
  const error = (body as { error?: Record<string, unknown> } | null)?.error;
  const inner = (error?.["json"] as Record<string, unknown> | undefined) ?? error;
  const data = (inner?.["data"] as Record<string, unknown> | undefined) ?? inner;
  const code = typeof data?.["code"] === "string" ? (data["code"] as string) : undefined;
  const fields = data?.["fieldErrors"];
  const field =
    fields && typeof fields === "object" ? Object.keys(fields as Record<string, unknown>)[0] : undefined;
  if (field) return { verdict: "refused", field, ...(code ? { code } : {}) };
  if (status === 413 && code === "PAYLOAD_TOO_LARGE") return { verdict: "refused", field: "(body)", code };
  return { verdict: "refused without a field", ...(code ? { code } : {}) };
}
