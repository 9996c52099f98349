// The off-thread half of validate.ts: build the dataset's covariance blocks and factorise this thread's
// share of them in a worker thread, and report success (with the factor entries when asked) or the
// error with the field it names.
import { parentPort, workerData } from "node:worker_threads";
import { lowerThreadPriority } from "../threadPriority.ts";
import { buildDataset, DatasetError } from "./dataset.ts";
import { DatasetLimitError, type DatasetLimits } from "./limits.ts";
import type { WorkerReply } from "./validate.ts";

// The factorisation is background work beside the web's event loop on the same cores: run it at a
// lower priority so that other clients' requests keep their latency while a large upload validates.
lowerThreadPriority(10);

const { json, prefix, limits, share, wantFactor } = workerData as {
  json: unknown;
  prefix: (string | number)[];
  limits: DatasetLimits;
  share: { thread: number; threads: number };
  wantFactor: boolean;
};

function reply(): WorkerReply {
  try {
    const ds = buildDataset(json, prefix, limits, { share });
    return {
      ok: true,
      nBlocks: ds.cov.nBlocks,
      maxBlockPoints: ds.cov.maxBlockSize,
      ...(wantFactor ? { factor: ds.chol.entries } : {}),
    };
  } catch (e) {
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
}

const answer = reply();
// the factor's buffer moves to the caller rather than being copied (it can be hundreds of MB)
parentPort!.postMessage(answer, answer.ok && answer.factor ? [answer.factor.buffer as ArrayBuffer] : []);
