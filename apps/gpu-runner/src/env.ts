import { hostname } from "node:os";
import { z } from "zod";

const schema = z.object({
  RUNNER_NAME: z.string().min(1).default(`${hostname()}-${process.pid}`),
  RUNNER_CONCURRENCY: z.coerce
    .number({ error: "RUNNER_CONCURRENCY must be a number" })
    .int()
    .min(1)
    .max(64)
    .default(1),
  RUNNER_HTTP_PORT: z.coerce
    .number({ error: "RUNNER_HTTP_PORT must be a number" })
    .int()
    .min(0)
    .max(65535)
    .default(9464),
  ENGINE_BACKEND: z.enum(["tensorflow", "webgpu", "wasm", "cpu"]).optional(),
  /**
   * Which training kernel: "auto" (the fastest present: the WGSL kernels where a GPU adapter exists,
   * else the engine's fused CPU kernel when built, else TensorFlow.js), or one of them explicitly:
   * "webgpu" (Dawn; a GPU, else Mesa llvmpipe), "cpu" (the fused CPU kernel), "tfjs" (TensorFlow.js
   * on ENGINE_BACKEND, the numerical reference). An explicit kernel that cannot run here stops the
   * runner at start.
   */
  ENGINE_TRAINER: z
    .enum(["auto", "tfjs", "webgpu", "cpu"], { error: "ENGINE_TRAINER must be auto, tfjs, webgpu or cpu" })
    .default("auto"),
  HEARTBEAT_MS: z.coerce.number().int().min(100).default(5_000),
  STALE_AFTER_MS: z.coerce.number().int().min(500).default(30_000),
  REAPER_INTERVAL_MS: z.coerce.number().int().min(100).default(10_000),
  /** How often this runner tops up every active study (admission-held or orphaned fills). */
  FILL_SWEEP_MS: z.coerce.number().int().min(100).default(30_000),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(20_000),
  /** Sleep this long per trial instead of training (tests and the dispatch benchmark). */
  RUNNER_SYNTHETIC_TRIAL_MS: z.coerce.number().int().min(0).optional(),
  /** Append one JSON line of dispatch timings per trial here (the dispatch benchmark). */
  RUNNER_TIMINGS_FILE: z.string().min(1).optional(),
  /** The BullMQ namespace (Redis key prefix or PostgreSQL schema) and queue name. */
  QUEUE_NAMESPACE: z.string().min(1).optional(),
  QUEUE_NAME: z.string().min(1).default("trials"),
  /** How often running trials are checked against cancellation (cancelled study, lost attempt). */
  CANCEL_POLL_MS: z.coerce.number().int().min(50).default(1_000),
  /** Postgres connections per runner process (a fleet of N runners opens up to N times this). */
  RUNNER_DB_POOL: z.coerce.number().int().min(1).max(100).default(5),
  /** How often the queue depth gauge is refreshed. */
  METRICS_QUEUE_POLL_MS: z.coerce.number().int().min(100).default(5_000),
  /**
   * Trial packing: a runner that claims a trial also claims WAITING trials of the same study with the
   * same task, architecture and optimiser kind, and trains them as one stacked program of at most
   * this many members (Σ replicas × folds). 0 turns packing off. Synthetic runners never pack.
   */
  RUNNER_PACK_MAX_MEMBERS: z.coerce.number().int().min(0).max(100_000).default(64),
  /** Only trials WAITING at least this long join a pack (fresher ones are left to idle runners). */
  RUNNER_PACK_MIN_WAIT_MS: z.coerce.number().int().min(0).default(1_000),
  /**
   * Uploaded datasets kept built (covariance blocks and their Cholesky factors) for the next trials:
   * at most this many dataset versions, least recently used first out.
   */
  RUNNER_DATASET_CACHE: z.coerce.number().int().min(1).max(64).default(4),
  /** BullMQ lock: a dead runner's job is redelivered after this (the reaper covers the trial row). */
  QUEUE_LOCK_MS: z.coerce.number().int().min(500).default(30_000),
});

export type RunnerEnv = z.infer<typeof schema>;

export function loadRunnerEnv(source: NodeJS.ProcessEnv = process.env): RunnerEnv {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    throw new Error(
      `Invalid runner environment: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  }
  return parsed.data;
}
