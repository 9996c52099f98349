// npm run db:migrate → `tsx scripts/db.ts migrate`. Commands:
//   migrate            apply prisma/migrations (prisma migrate deploy)
//   status             prisma migrate status
//   dev --name <name>  author a new migration from schema.prisma changes (prisma migrate dev)
// Uses DATABASE_URL, else the embedded Postgres (started here when it is not running).
import { migrateDatabase, runPrismaCli } from "../packages/db/src/migrate.ts";
import { ensureDatabase } from "./services.ts";

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  const url = await ensureDatabase();
  switch (command) {
    case "migrate":
      await migrateDatabase(url, { inherit: true });
      return 0;
    case "status":
      return (await runPrismaCli(["migrate", "status"], url, { inherit: true })).code;
    case "dev":
      return (await runPrismaCli(["migrate", "dev", "--skip-generate", ...rest], url, { inherit: true }))
        .code;
    default:
      console.error("usage: tsx scripts/db.ts migrate | status | dev --name <migration>");
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
