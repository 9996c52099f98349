// Test helpers on the services test/global-setup.ts starts: a fresh database per test file, cloned
// from the migrated template, and the test Redis.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { createDb, type Db } from "./client.ts";
import { closeMembershipPool } from "./membership.ts";
import { withDatabase } from "./url.ts";

export interface TestDatabase {
  url: string;
  db: Db;
  /** Disconnect and drop the database. */
  drop(): Promise<void>;
}

function adminUrl(): string {
  const url = inject("hensPostgresAdminUrl");
  if (!url) throw new Error("No test Postgres: run tests through vitest with test/global-setup.ts");
  return url;
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A new database with every migration applied (a copy of the migrated template). */
export async function createTestDatabase(options: { max?: number } = {}): Promise<TestDatabase> {
  const name = `hens_test_${randomBytes(6).toString("hex")}`;
  const template = inject("hensTemplateDatabase");
  await withAdmin(async (client) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
        return;
      } catch (error) {
        // Two clones starting at once can briefly see each other on the template.
        const busy = (error as { code?: string }).code === "55006";
        if (!busy || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    }
  });
  const url = withDatabase(adminUrl(), name);
  const db = createDb(url, { max: options.max ?? 5 });
  return {
    url,
    db,
    drop: async () => {
      await db.$disconnect();
      await closeMembershipPool(db);
      await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

/** The test Redis URL; throws (never skips) when redis-server is not installed. */
export function testRedisUrl(): string {
  const url = inject("hensRedisUrl");
  if (!url) {
    throw new Error("redis-server is not installed (/usr/bin/redis-server): apt-get install -y redis-server");
  }
  return url;
}

/** The test cluster's admin URL (database `postgres`), for tests that create databases themselves. */
export function testPostgresAdminUrl(): string {
  return adminUrl();
}

declare module "vitest" {
  interface ProvidedContext {
    hensPostgresAdminUrl: string;
    hensTemplateDatabase: string;
    hensRedisUrl: string;
  }
}
