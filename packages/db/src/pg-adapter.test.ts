// The adapter's pool when a connection dies under a client that is checked out (as Prisma's
// interactive transactions hold theirs): the slot comes back instead of being held for good.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgAdapter } from "./pg-adapter.ts";
import { createTestDatabase, type TestDatabase } from "./testing.ts";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase({ max: 1 });
});
afterAll(async () => {
  await t?.drop();
});

describe("pgAdapter's pool", () => {
  it("gives back a checked-out client whose connection died: a full pool still answers", async () => {
    const adapter = await pgAdapter(t.url, { max: 1 }).connect();
    const pool = adapter.underlyingDriver() as pg.Pool;
    try {
      // The pool's only client, held and never released by its holder.
      const held = await pool.connect();
      const died = new Promise<Error>((resolve) => held.on("error", resolve));
      const pid = (await held.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid;
      const admin = new pg.Client({ connectionString: t.url });
      await admin.connect();
      await admin.query("SELECT pg_terminate_backend($1)", [pid]);
      await admin.end();
      expect((await died).message).toMatch(/terminat/i);

      const answer = await Promise.race([
        pool.query<{ one: number }>("SELECT 1 AS one"),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error("the pool kept the dead client's slot")), 5_000),
        ),
      ]);
      expect(answer.rows[0]?.one).toBe(1);
      expect(pool.totalCount).toBe(1);
      held.release(); // the holder's late release is harmless
      expect((await pool.query<{ one: number }>("SELECT 1 AS one")).rows[0]?.one).toBe(1);
    } finally {
      await adapter.dispose();
    }
  });
});
