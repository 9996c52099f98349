import { randomUUID } from "node:crypto";
import { PrismaPg } from "@prisma/adapter-pg";
import type pg from "pg";
import { parseDatabaseUrl, withDatabase } from "./url.ts";

/**
 * A PrismaPg factory for `url` with host/port/user/password/database passed separately: given a
 * `connectionString`, pg lets it override the `database` the adapter sets for Prisma Migrate's shadow
 * database, which then silently becomes the main one.
 */
export function pgAdapter(url: string, options: { max?: number; allowExitOnIdle?: boolean } = {}): PrismaPg {
  const parts = parseDatabaseUrl(url);
  const factory = new PrismaPg({
    ...parts,
    max: options.max ?? 10,
    allowExitOnIdle: options.allowExitOnIdle ?? false,
  });
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = await connect();
    releaseDeadClients(adapter.underlyingDriver() as pg.Pool);
    return adapter;
  };
  return factory;
}

/**
 * A checked-out client whose connection dies goes back to the pool at once (which discards it).
 * Prisma's interactive transactions can keep such a client checked out for good when Postgres
 * crashes under them (seen with Prisma and adapter-pg 6.19.3): each one takes a pool slot forever,
 * and once all are taken every later query waits forever (the pool has no acquire timeout). The
 * holder's own release later is a no-op; its queries on the dead client fail at once.
 */
function releaseDeadClients(pool: pg.Pool): void {
  const held = new WeakMap<pg.PoolClient, (err: Error) => void>();
  pool.on("acquire", (client) => {
    const onError = (err: Error) => {
      held.delete(client);
      const release = client.release;
      client.release = () => undefined;
      try {
        release(err);
      } catch {
        // already released by its holder
      }
    };
    held.set(client, onError);
    client.once("error", onError);
  });
  pool.on("release", (_err, client) => {
    const onError = held.get(client);
    if (!onError) return;
    held.delete(client);
    client.removeListener("error", onError);
  });
}

const PG_NAME_OID = 19;
const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;
const patched = Symbol.for("hyperensemble.catalogTypesPatched");

interface PerformIO {
  performIO(query: unknown): Promise<{ fields: { dataTypeID: number }[] }>;
}

/**
 * adapter-pg 6.19 cannot map Postgres `name` (19) and `"char"` (18) columns, which the schema
 * engine's catalog queries return (prisma/orm#27403). pg hands both over as strings, so report them
 * as text. Patches the shared queryable prototype once, covering transactions and shadow databases.
 */
export function patchCatalogTypes(adapter: object): void {
  const adapterProto = Object.getPrototypeOf(adapter) as object;
  const queryableProto = Object.getPrototypeOf(adapterProto) as PerformIO & Record<symbol, boolean>;
  if (queryableProto[patched] || typeof queryableProto.performIO !== "function") return;
  const original = queryableProto.performIO;
  queryableProto.performIO = async function performIO(this: unknown, query: unknown) {
    const result = await original.call(this, query);
    for (const field of result.fields) {
      if (field.dataTypeID === PG_NAME_OID || field.dataTypeID === PG_CHAR_OID)
        field.dataTypeID = PG_TEXT_OID;
    }
    return result;
  };
  queryableProto[patched] = true;
}

interface ScriptRunner {
  client: { query(sql: string): Promise<unknown> };
  onError(error: unknown): never;
  executeScript(script: string): Promise<void>;
}

/**
 * adapter-pg 6.19 runs a migration script by splitting it on every ";", which cuts a plpgsql function
 * body (`$$ ... ; ... $$`, the event-log triggers) apart. Send the script whole instead: Postgres's
 * simple query protocol runs several statements in one message.
 */
export function patchExecuteScript(adapter: object): void {
  const runner = adapter as ScriptRunner;
  runner.executeScript = async function executeScript(this: ScriptRunner, script: string) {
    try {
      await this.client.query(script);
    } catch (error) {
      this.onError(error);
    }
  };
}

/**
 * The adapter factory for Prisma's js schema engine (prisma.config.ts). Its shadow database is our
 * own: adapter-pg 6.19 drops the shadow database before closing the pool still connected to it, so
 * `migrate dev` fails with "being accessed by other users".
 */
export function migrationAdapter(url: string): PrismaPg {
  // allowExitOnIdle: idle pooled connections must not hold the CLI open for pg's 10 s idle timeout.
  const factory = pgAdapter(url, { max: 4, allowExitOnIdle: true });
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = await connect();
    patchCatalogTypes(adapter);
    patchExecuteScript(adapter);
    return adapter;
  };
  factory.connectToShadowDb = async () => {
    const main = await factory.connect();
    const name = `prisma_migrate_shadow_db_${randomUUID()}`;
    await main.executeScript(`CREATE DATABASE "${name}"`);
    const shadow = await pgAdapter(withDatabase(url, name), { max: 4, allowExitOnIdle: true }).connect();
    patchCatalogTypes(shadow);
    patchExecuteScript(shadow);
    const closeShadow = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await closeShadow();
      await main.executeScript(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await main.dispose();
    };
    return shadow;
  };
  return factory;
}
