import type { Db } from "@hyperensemble/db";
import type { Task } from "@hyperensemble/engine";

/** A dataset version as the runner trains on it: the stored JSON and its built task. */
export interface DatasetTask {
  json: unknown;
  task: Task;
}

/**
 * Built tasks of uploaded datasets, shared by every trial of every study on them: a dataset's covariance
 * blocks and their Cholesky factors are built once per dataset version, not once per trial. Datasets
 * are immutable once stored (upload creates, delete removes), so the row id is its version.
 * Least-recently used first out, at most `capacity` datasets (each up to the dataset limits' block
 * entries, twice: covariance and factor). The runner builds with buildRunnerTask: the factorisation
 * runs in worker threads, so heartbeats keep being written meanwhile.
 */
export class DatasetTaskCache {
  private readonly entries = new Map<string, Promise<DatasetTask>>();
  /** Datasets built since start (for tests and metrics). */
  builds = 0;

  constructor(readonly capacity = 4) {}

  get(
    db: Db,
    ref: { orgId: string; datasetId: string },
    build: (json: unknown) => Task | Promise<Task>,
  ): Promise<DatasetTask> {
    const key = `${ref.orgId}/${ref.datasetId}`;
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const loading = (async () => {
      const row = await db.dataset.findFirstOrThrow({
        where: { id: ref.datasetId, orgId: ref.orgId },
        select: { data: true },
      });
      this.builds++;
      return { json: row.data, task: await build(row.data) };
    })();
    this.entries.set(key, loading);
    // a failed load or build is not kept: the next trial tries again (and fails with its own error)
    loading.catch(() => {
      if (this.entries.get(key) === loading) this.entries.delete(key);
    });
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return loading;
  }
}
