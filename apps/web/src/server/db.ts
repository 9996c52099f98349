import { createDb } from "@hyperensemble/db";

// One Prisma client per server process (survives Next's dev-mode module reloads).
const globalForDb = globalThis as unknown as { hensDb?: ReturnType<typeof createDb> };
export const db = globalForDb.hensDb ?? createDb();
globalForDb.hensDb = db;
