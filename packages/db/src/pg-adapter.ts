import { randomUUID } from "node:crypto";
import { PrismaPg } from "@prisma/adapter-pg";
import { parseDatabaseUrl, withDatabase } from "./url.ts";

/**
 * A PrismaPg factory for `url` with host/port/user/password/database passed separately: given a
 * `connectionString`, pg lets it override the `database` the adapter sets for Prisma Migrate's shadow
 * database, which then silently becomes the main one.
 */
export function pgAdapter(url: string, options: { max?: number; allowExitOnIdle?: boolean } = {}): PrismaPg {
  const parts = parseDatabaseUrl(url);
  return new PrismaPg({
    ...parts,
    max: options.max ?? 10,
    allowExitOnIdle: options.allowExitOnIdle ?? false,
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
    return adapter;
  };
  factory.connectToShadowDb = async () => {
    const main = await factory.connect();
    const name = `prisma_migrate_shadow_db_${randomUUID()}`;
    await main.executeScript(`CREATE DATABASE "${name}"`);
    const shadow = await pgAdapter(withDatabase(url, name), { max: 4, allowExitOnIdle: true }).connect();
    patchCatalogTypes(shadow);
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
