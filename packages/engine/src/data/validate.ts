import { Worker } from "node:worker_threads";
import { type TheorySummary, TheoryUploadError, type TheoryUploadSource } from "../tasks/theoryUpload.ts";
import {
  buildDataset,
  type Dataset,
  DatasetError,
  type ParsedDatasetJson,
  parseDatasetJson,
} from "./dataset.ts";
import { DatasetLimitError, type DatasetLimits, DEFAULT_DATASET_LIMITS } from "./limits.ts";
import { NpyError } from "./npy.ts";

/** What the worker is asked (validate.worker.ts): a share of a covariance, or a whole theory upload. */
export type WorkerJob =
  | {
      job: "factorise";
      json: ParsedDatasetJson;
      prefix: (string | number)[];
      limits: DatasetLimits;
      share: { thread: number; threads: number };
      wantFactor: boolean;
    }
  | { job: "theory"; upload: TheoryUploadSource; limits: DatasetLimits };

/** What the worker answers (validate.worker.ts). */
export type WorkerReply =
  | { ok: true; nBlocks: number; maxBlockPoints: number; factor?: Float64Array }
  | { ok: true; json: Uint8Array; summary: TheorySummary }
  | {
      ok: false;
      kind: "limit" | "dataset" | "npy" | "internal";
      path: (string | number)[];
      detail: string;
      limit?: keyof DatasetLimits;
      /** The covariance block whose factorisation failed. */
      block?: number;
      /** A theory upload's stage and field at fault (TheoryUploadError). */
      stage?: "source" | "theory";
      field?: (string | number)[];
    };

/**
 * Work of building and factorising the covariance, in multiply-adds, from the parsed JSON: Σ m³/3 + m²k
 * over the correlated sub-datasets (m points, k systematics), or N³/3 for a full covariance (an upper
 * bound: its blocks are found only when it is built).
 */
export function factorisationWork(ds: ParsedDatasetJson): number {
  if (ds.covariance) return ds.covariance.length ** 3 / 3;
  let work = 0;
  for (const s of ds.subsets) {
    if (!s.sys && !(s.normalisation && s.normalisation > 0)) continue;
    const m = s.values.length;
    work += m ** 3 / 3 + m * m * (1 + (s.sys?.[0]?.length ?? 0));
  }
  return work;
}

/**
 * Below this much work (about 10 ms of one core) and this many points the dataset is built and
 * factorised on the calling thread: starting a worker costs more than that. Above either, off the
 * event loop.
 */
export const INLINE_VALIDATION_WORK = 1e7;
export const INLINE_VALIDATION_POINTS = 2_000;

export interface DatasetValidation {
  json: ParsedDatasetJson;
  /** Whether the covariance was factorised in a worker thread. */
  offThread: boolean;
}

/** The field a covariance problem names: the full covariance, else the sub-datasets. */
const covarianceField = (ds: ParsedDatasetJson, prefix: (string | number)[]) => [
  ...prefix,
  ds.covariance ? "covariance" : "subsets",
];

let running = 0;
const waiting: (() => void)[] = [];
/** At most `n` validations at once per process (each may hold its blocks' memory); the rest queue. */
async function slot(n: number): Promise<() => void> {
  if (running >= n) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  return () => {
    running--;
    waiting.shift()?.();
  };
}

/**
 * Validate a dataset in full (shapes, limits, finite numbers, positive-definite covariance blocks)
 * without blocking the event loop on anything super-linear. The linear checks (limits on the raw
 * counts, then the schema) run here; building and factorising the covariance blocks runs in a worker
 * thread with `limits.validationMs` of wall time and `limits.validationHeapMb` of heap, terminated
 * past either (a DatasetError naming the covariance field). Small datasets (INLINE_VALIDATION_WORK)
 * are factorised here. Throws DatasetLimitError or DatasetError naming the field.
 */
export async function validateDataset(
  input: unknown,
  limits: DatasetLimits = DEFAULT_DATASET_LIMITS,
  prefix: (string | number)[] = [],
  inlineWork = INLINE_VALIDATION_WORK,
  maxThreads = 1,
): Promise<DatasetValidation> {
  const json = parseDatasetJson(input, limits, prefix);
  const points = json.subsets.reduce((n, s) => n + s.values.length, 0);
  if (factorisationWork(json) <= inlineWork && points <= Math.min(inlineWork, INLINE_VALIDATION_POINTS)) {
    buildDataset(json, prefix, limits);
    return { json, offThread: false };
  }
  await factoriseOffThread(json, prefix, limits, false, maxThreads);
  return { json, offThread: true };
}

/**
 * A dataset built with its covariance factorised off the event loop (the runner's build, issue 13: a
 * dense 5,000-point block holds a thread for tens of seconds, longer than a heartbeat may lapse). The
 * factor's entries come back from the workers; the covariance blocks (Σ m² k work) and the rest are
 * rebuilt here. Same errors, budgets and queue as validateDataset.
 */
export async function buildDatasetOffThread(
  input: unknown,
  limits: DatasetLimits = DEFAULT_DATASET_LIMITS,
  prefix: (string | number)[] = [],
): Promise<Dataset> {
  const json = parseDatasetJson(input, limits, prefix);
  const shares = await factoriseOffThread(json, prefix, limits, true, FACTOR_THREADS);
  return buildDataset(json, prefix, limits, { shares });
}

/**
 * Threads the factorisation is split over: independent blocks go to different threads (blockOwners),
 * up to the caller's maximum. The web validates on one (validateDataset's default): its event loop and
 * Postgres keep the other core, and one worker holds the covariance, not two (bench:fault on 2 cores:
 * two workers raised the other clients' p95 ratio from 1.4 to 2.8 and the web's peak RSS to 951 MiB).
 * The runner builds on FACTOR_THREADS, where finishing sooner is what matters.
 * two when at least two sub-datasets are correlated. A full covariance's blocks are found only when it
 * is built, so it stays on one.
 */
export const FACTOR_THREADS = 2;
function factorThreads(json: ParsedDatasetJson): number {
  if (json.covariance) return 1;
  const correlated = json.subsets.filter((s) => s.sys || (s.normalisation && s.normalisation > 0));
  return correlated.length >= 2 ? FACTOR_THREADS : 1;
}

/**
 * Build and factorise the covariance in worker threads, each its share of the blocks; their factor
 * shares when asked. Of several refusals the first block's is thrown, as one thread factorising in
 * block order would; a budget exceeded ends the other workers.
 */
async function factoriseOffThread(
  json: ParsedDatasetJson,
  prefix: (string | number)[],
  limits: DatasetLimits,
  wantFactor: boolean,
  maxThreads: number,
): Promise<Float64Array[]> {
  const release = await slot(limits.validationConcurrency);
  const abort = new AbortController();
  try {
    const threads = Math.min(maxThreads, factorThreads(json));
    const replies = await Promise.all(
      Array.from({ length: threads }, (_, thread) =>
        runWorker(
          { job: "factorise", json, prefix, limits, share: { thread, threads }, wantFactor },
          abort.signal,
        ),
      ),
    );
    const failed = replies.filter((r) => !r.ok).sort((x, y) => (x.block ?? -1) - (y.block ?? -1))[0];
    if (failed?.kind === "limit") throw new DatasetLimitError(failed.path, failed.detail, failed.limit!);
    if (failed?.kind === "dataset") throw new DatasetError(failed.detail, failed.path);
    if (failed) throw new Error(`dataset validation failed: ${failed.detail}`);
    return replies.map((r) =>
      r.ok && "nBlocks" in r ? (r.factor ?? new Float64Array(0)) : new Float64Array(0),
    );
  } catch (e) {
    abort.abort();
    if (e instanceof BudgetExceeded) throw new DatasetError(e.message, covarianceField(json, prefix));
    throw e;
  } finally {
    release();
  }
}

/**
 * A theory upload read and checked in a worker thread (prepareTheoryUpload: the .npz inflated, limits,
 * schema, FK shapes and finite numbers, the covariance factorised, the JSON to store written), within
 * the validation budgets (`validationMs`, `validationHeapMb`) and queue: the web's event loop only
 * passes the bytes in and takes the JSON to store out, as UTF-8 bytes. Throws TheoryUploadError naming the array or the path
 * (a budget exceeded: a DatasetError at the theory's root).
 */
export async function prepareTheoryOffThread(
  upload: TheoryUploadSource,
  limits: DatasetLimits = DEFAULT_DATASET_LIMITS,
  /**
   * Move the upload's byte buffers to the worker instead of copying them (a body of up to 256 MiB):
   * the caller's arrays are detached, so only for bytes nothing else reads afterwards.
   */
  { transfer = false }: { transfer?: boolean } = {},
): Promise<{ json: Uint8Array; summary: TheorySummary }> {
  const release = await slot(limits.validationConcurrency);
  try {
    const reply = await runWorker(
      { job: "theory", upload, limits },
      new AbortController().signal,
      transfer ? uploadBuffers(upload) : [],
    );
    if (reply.ok) {
      if (!("json" in reply)) throw new Error("theory worker answered a factorisation");
      return reply;
    }
    const cause =
      reply.kind === "limit"
        ? new DatasetLimitError(reply.path, reply.detail, reply.limit!)
        : reply.kind === "dataset"
          ? new DatasetError(reply.detail, reply.path)
          : reply.kind === "npy"
            ? new NpyError(String(reply.path[0] ?? "npz"), reply.detail)
            : null;
    if (!cause) throw new Error(`theory validation failed: ${reply.detail}`);
    throw new TheoryUploadError(reply.stage ?? "theory", cause, reply.field ?? []);
  } catch (e) {
    if (e instanceof BudgetExceeded) throw new TheoryUploadError("theory", new DatasetError(e.message, []));
    throw e;
  } finally {
    release();
  }
}

/**
 * The distinct buffers under an upload's byte arrays (multipart parts are views into one body), that
 * are safe to move: not shared, and not small enough to be a slice of Node's Buffer pool (8 KiB),
 * which other Buffers use too.
 */
function uploadBuffers(upload: TheoryUploadSource): ArrayBuffer[] {
  const views = Object.values(upload).flatMap((v) =>
    v instanceof Uint8Array ? [v] : v && typeof v === "object" && !Array.isArray(v) ? Object.values(v) : [],
  );
  const buffers = new Set<ArrayBuffer>();
  for (const v of views)
    if (v instanceof Uint8Array && v.buffer instanceof ArrayBuffer && v.buffer.byteLength >= 64 * 1024)
      buffers.add(v.buffer);
  return [...buffers];
}

class BudgetExceeded extends Error {}

class Aborted extends Error {}

function runWorker(
  data: WorkerJob,
  signal: AbortSignal,
  transferList: ArrayBuffer[] = [],
): Promise<WorkerReply> {
  const { limits } = data;
  const options = {
    workerData: data,
    transferList,
    resourceLimits: { maxOldGenerationSizeMb: limits.validationHeapMb },
  };
  // In the Next build the bundler rewrites `new Worker(new URL(…, import.meta.url))` to the worker's
  // own JavaScript chunk, so that form stays literal. Under a TypeScript runner (vitest, tsx) this
  // module and the worker are .ts files: the worker registers tsx's loader before importing it.
  // (Inside a Next bundle import.meta.url still names the .ts source, so Next is told apart by the
  // NEXT_RUNTIME it defines.)
  const typescriptSource = !process.env.NEXT_RUNTIME && import.meta.url.endsWith(".ts");
  const worker = typescriptSource
    ? new Worker(
        `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(
          import.meta.url.replace(/validate\.ts$/, "validate.worker.ts"),
        )}); })`,
        { ...options, eval: true },
      )
    : new Worker(new URL("./validate.worker.ts", import.meta.url), options);
  return new Promise<WorkerReply>((resolve, reject) => {
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      f();
    };
    const timer = setTimeout(
      () =>
        settle(() =>
          reject(new BudgetExceeded(`validation exceeded its budget of ${limits.validationMs / 1000} s`)),
        ),
      limits.validationMs,
    );
    worker.once("message", (m: WorkerReply) => settle(() => resolve(m)));
    worker.once("error", (err: Error & { code?: string }) =>
      settle(() =>
        reject(
          err.code === "ERR_WORKER_OUT_OF_MEMORY"
            ? new BudgetExceeded(`validation exceeded its memory budget of ${limits.validationHeapMb} MB`)
            : err,
        ),
      ),
    );
    worker.once("exit", (code) =>
      settle(() => reject(new Error(`dataset validation worker exited with code ${code}`))),
    );
    // another thread's share exceeded its budget: this one's answer no longer matters
    const onAbort = () => settle(() => reject(new Aborted("another share failed")));
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
}
