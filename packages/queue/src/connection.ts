// One BullMQ API, two stores: Redis when REDIS_URL is set (production, scales across machines), else
// BullMQ's PostgreSQL backend on the application database, so a fresh machine needs nothing installed.
import {
  type BackendClasses,
  createPostgresBackend,
  createRedisBackend,
  type IQueueBackend,
  type QueueOptions,
  type WorkerOptions,
  withBackend,
} from "bullmq";
import type { RedisOptions } from "ioredis";

export type QueueBackendKind = "redis" | "postgres";

export interface QueueConnection {
  readonly kind: QueueBackendKind;
  /** Namespace: the Redis key prefix or the PostgreSQL schema holding the queues. */
  readonly namespace: string;
  /** A printable target without credentials. */
  readonly target: string;
  /** The BullMQ classes bound to this backend. */
  readonly classes: BackendClasses<IQueueBackend, unknown>;
  /** Options every Queue/QueueEvents built on this connection gets. */
  queueOptions(): QueueOptions<unknown>;
  /** Options every Worker built on this connection gets. */
  workerOptions(): WorkerOptions<unknown>;
}

export interface QueueConnectionOptions {
  /** Default: process.env.REDIS_URL. When set (non-empty), the Redis backend is used. */
  redisUrl?: string | undefined;
  /** Default: process.env.DATABASE_URL. Used when there is no Redis URL. */
  databaseUrl?: string | undefined;
  /**
   * Isolates queues: the Redis key prefix (default "bull") or the PostgreSQL schema (default
   * "bullmq"). Tests give each suite its own.
   */
  namespace?: string | undefined;
}

function redisOptions(url: string): RedisOptions {
  const u = new URL(url);
  if (u.protocol !== "redis:" && u.protocol !== "rediss:")
    throw new Error(`REDIS_URL must be redis://, got ${url}`);
  const db = u.pathname.replace(/^\//, "");
  return {
    host: u.hostname || "127.0.0.1",
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(u.protocol === "rediss:" ? { tls: {} } : {}),
    // Workers block on Redis; BullMQ requires ioredis never to give up retrying their commands.
    maxRetriesPerRequest: null,
  };
}

function redactedUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = "***";
  return u.toString();
}

/**
 * Pick the queue store: BullMQ on Redis when a Redis URL is given (or REDIS_URL is set), else
 * BullMQ's PostgreSQL backend on the database URL (its tables live in their own schema and are
 * migrated on connect).
 */
export function createQueueConnection(options: QueueConnectionOptions = {}): QueueConnection {
  const redisUrl = options.redisUrl ?? process.env["REDIS_URL"];
  if (redisUrl) {
    const connection = redisOptions(redisUrl);
    const prefix = options.namespace ?? "bull";
    const classes = withBackend(createRedisBackend) as unknown as BackendClasses<IQueueBackend, unknown>;
    return {
      kind: "redis",
      namespace: prefix,
      target: redactedUrl(redisUrl),
      classes,
      // Producers fail fast while Redis is down instead of queueing commands in memory.
      queueOptions: () => ({ connection: { ...connection, enableOfflineQueue: false }, prefix }),
      workerOptions: () => ({ connection: { ...connection }, prefix }),
    };
  }
  const databaseUrl = options.databaseUrl ?? process.env["DATABASE_URL"];
  if (!databaseUrl) {
    throw new Error("createQueueConnection: set REDIS_URL, or pass databaseUrl / set DATABASE_URL");
  }
  const schema = options.namespace ?? "bullmq";
  const classes = withBackend(createPostgresBackend) as unknown as BackendClasses<IQueueBackend, unknown>;
  // Each Queue/Worker owns a small pool plus one LISTEN connection; keep them small.
  const connection = () => ({ connectionString: databaseUrl, schema, migrate: true, max: 4 });
  return {
    kind: "postgres",
    namespace: schema,
    target: `${redactedUrl(databaseUrl)} (schema ${schema})`,
    classes,
    queueOptions: () => ({ connection: connection() }),
    workerOptions: () => ({ connection: connection() }),
  };
}
