// The off-thread half of validate.ts: build the dataset's covariance blocks and factorise this thread's
// share of them in a worker thread, and report success (with the factor entries when asked) or the
// error with the field it names; or read and check a whole theory upload (prepareTheoryUpload).
import { parentPort, workerData } from "node:worker_threads";
import { prepareTheoryUpload, TheoryUploadError } from "../tasks/theoryUpload.ts";
import { lowerThreadPriority } from "../threadPriority.ts";
import { buildDataset, DatasetError } from "./dataset.ts";
import { DatasetLimitError } from "./limits.ts";
import { NpyError } from "./npy.ts";
import type { WorkerJob, WorkerReply } from "./validate.ts";

// The factorisation is background work beside the web's event loop on the same cores: run it at a
// lower priority so that other clients' requests keep their latency while a large upload validates.
lowerThreadPriority(10);

const job = workerData as WorkerJob;

/** A refusal as the reply carries it (the caller rebuilds the error). */
function refusal(e: unknown): WorkerReply {
  if (e instanceof TheoryUploadError)
    return { ...refusal(e.cause), stage: e.stage, field: e.field } as WorkerReply;
  if (e instanceof NpyError) return { ok: false, kind: "npy", path: [e.array], detail: e.detail };
  if (e instanceof DatasetLimitError)
    return { ok: false, kind: "limit", path: e.path, detail: e.detail, limit: e.limit };
  if (e instanceof DatasetError)
    return {
      ok: false,
      kind: "dataset",
      path: e.path,
      detail: e.detail,
      ...(e.block === undefined ? {} : { block: e.block }),
    };
  return { ok: false, kind: "internal", path: [], detail: e instanceof Error ? e.message : String(e) };
}

function reply(): WorkerReply {
  if (job.job === "theory") {
    try {
      return { ok: true, ...prepareTheoryUpload(job.upload, job.limits) };
    } catch (e) {
      return refusal(e);
    }
  }
  const { json, prefix, limits, share, wantFactor } = job;
  try {
    const ds = buildDataset(json, prefix, limits, { share });
    return {
      ok: true,
      nBlocks: ds.cov.nBlocks,
      maxBlockPoints: ds.cov.maxBlockSize,
      ...(wantFactor ? { factor: ds.chol.entries } : {}),
    };
  } catch (e) {
    return refusal(e);
  }
}

const answer = reply();
// the factor's buffer, or the theory's JSON, moves to the caller rather than being copied (it can be
// hundreds of MB)
const moved = !answer.ok
  ? undefined
  : "factor" in answer
    ? answer.factor
    : "json" in answer
      ? answer.json
      : undefined;
parentPort!.postMessage(answer, moved ? [moved.buffer as ArrayBuffer] : []);
