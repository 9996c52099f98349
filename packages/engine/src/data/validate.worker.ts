// The off-thread half of validateDataset (validate.ts): build and factorise the dataset's covariance
// blocks in a worker thread, and report success or the error with the field it names.
import { parentPort, workerData } from "node:worker_threads";
import { lowerThreadPriority } from "../threadPriority.ts";
import { buildDataset, DatasetError } from "./dataset.ts";
import { DatasetLimitError, type DatasetLimits } from "./limits.ts";
import type { WorkerReply } from "./validate.ts";

// The factorisation is background work beside the web's event loop on the same cores: run it at a
// lower priority so that other clients' requests keep their latency while a large upload validates.
lowerThreadPriority(10);

const { json, prefix, limits } = workerData as {
  json: unknown;
  prefix: (string | number)[];
  limits: DatasetLimits;
};

function reply(): WorkerReply {
  try {
    const ds = buildDataset(json, prefix, limits);
    return { ok: true, nBlocks: ds.cov.nBlocks, maxBlockPoints: ds.cov.maxBlockSize };
  } catch (e) {
    if (e instanceof DatasetLimitError)
      return { ok: false, kind: "limit", path: e.path, detail: e.detail, limit: e.limit };
    if (e instanceof DatasetError) return { ok: false, kind: "dataset", path: e.path, detail: e.detail };
    return { ok: false, kind: "internal", path: [], detail: e instanceof Error ? e.message : String(e) };
  }
}

parentPort!.postMessage(reply());
