// The migrated database must match prisma/schema.prisma. `prisma migrate diff --from-url` is not
// available with Prisma 6.19's js schema engine, so: push schema.prisma into an empty database
// (`prisma db push`, no migrations involved) and compare its catalog with a migrated clone.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPrismaCli } from "./migrate.ts";
import { createTestDatabase, type TestDatabase, testPostgresAdminUrl } from "./testing.ts";
import { withDatabase } from "./url.ts";

const CATALOG = `
  SELECT 'column' AS kind, table_name || '.' || column_name AS name,
         concat_ws(' ', udt_name, is_nullable, column_default) AS definition
  FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'
  UNION ALL
  SELECT 'index', indexname, indexdef FROM pg_indexes
  WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'
  UNION ALL
  SELECT 'constraint', c.conrelid::regclass || '.' || c.conname, pg_get_constraintdef(c.oid)
  FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
  WHERE n.nspname = 'public' AND c.conrelid <> 0 AND c.conrelid::regclass::text <> '_prisma_migrations'
    -- Constraint triggers (the event log's, migration *_h15cli_events) are beyond schema.prisma.
    AND c.contype <> 't'
  UNION ALL
  SELECT 'enum', t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
  FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
  WHERE n.nspname = 'public' GROUP BY t.typname
  ORDER BY 1, 2`;

async function catalog(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ kind: string; name: string; definition: string }>(CATALOG);
    return rows.map((r) => `${r.kind} ${r.name}: ${r.definition}`);
  } finally {
    await client.end();
  }
}

const pushedName = `hens_schema_push_${process.pid}`;
let migrated: TestDatabase;

beforeAll(async () => {
  migrated = await createTestDatabase({ max: 1 });
  const admin = new pg.Client({ connectionString: testPostgresAdminUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${pushedName}"`);
  await admin.end();
}, 60_000);

afterAll(async () => {
  await migrated?.drop();
  const admin = new pg.Client({ connectionString: testPostgresAdminUrl() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${pushedName}" WITH (FORCE)`);
  await admin.end();
});

describe("migrations", () => {
  it("produce exactly the database schema.prisma describes", async () => {
    const pushedUrl = withDatabase(testPostgresAdminUrl(), pushedName);
    const push = await runPrismaCli(["db", "push", "--skip-generate", "--accept-data-loss"], pushedUrl);
    expect(push.code, push.stdout + push.stderr).toBe(0);

    const fromSchema = await catalog(pushedUrl);
    const fromMigrations = await catalog(migrated.url);
    expect(fromSchema.length).toBeGreaterThan(50);
    expect(fromMigrations).toEqual(fromSchema);

    // The comparison can fail: a migration that forgot an index is caught.
    await migrated.db.$executeRawUnsafe(`DROP INDEX "Trial_state_heartbeatAt_idx"`);
    expect(await catalog(migrated.url)).not.toEqual(fromSchema);
  }, 60_000);
});
