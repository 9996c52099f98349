// npm run org:limits -- <org-slug> [name=value ...]: show or set an organisation's quota overrides.
//   npm run org:limits -- cern                         show its limits and where each comes from
//   npm run org:limits -- cern maxParallelism=64       override one (a number)
//   npm run org:limits -- cern maxTrialCompute=default back to the environment's default
// Operators only: it writes the database directly (DATABASE_URL, else the embedded Postgres), so
// whoever can run it already holds the database credentials. Names: docs/operations.md, "Quotas
// and limits".
import { createDb } from "../packages/db/src/index.ts";
import { LIMIT_NAMES, type LimitName, setOrgLimits } from "../packages/platform/src/limits.ts";
import { ensureDatabase } from "./services.ts";

export function parseLimitArgs(args: string[]): Partial<Record<LimitName, number | null>> {
  const changes: Partial<Record<LimitName, number | null>> = {};
  for (const arg of args) {
    const match = /^(\w+)=(.+)$/.exec(arg);
    if (!match) throw new Error(`expected name=value, got "${arg}"`);
    const [, name, raw] = match as unknown as [string, string, string];
    if (!LIMIT_NAMES.includes(name as LimitName))
      throw new Error(`unknown limit "${name}" (one of ${LIMIT_NAMES.join(", ")})`);
    const value = raw === "default" ? null : Number(raw);
    if (value !== null && Number.isNaN(value)) throw new Error(`${name}: "${raw}" is not a number`);
    changes[name as LimitName] = value;
  }
  return changes;
}

async function main(): Promise<number> {
  const [slug, ...rest] = process.argv.slice(2);
  if (!slug || slug.startsWith("-")) {
    console.error(
      `usage: npm run org:limits -- <org-slug> [name=value|name=default ...]\nnames: ${LIMIT_NAMES.join(", ")}`,
    );
    return 2;
  }
  const db = createDb(await ensureDatabase());
  try {
    const { limits, source } = await setOrgLimits(db, slug, parseLimitArgs(rest));
    for (const name of LIMIT_NAMES)
      console.log(`${name.padEnd(20)} ${String(limits[name]).padStart(14)}  ${source[name]}`);
    return 0;
  } finally {
    await db.$disconnect();
  }
}

if (process.argv[1]?.endsWith("org-limits.ts"))
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
