// Prisma 6.19 on its WebAssembly engines, so every CLI command runs offline (docs: TOOLCHAIN.md).
import { defineConfig } from "prisma/config";
import { migrationAdapter } from "./packages/db/src/pg-adapter.ts";
import { databaseUrl } from "./packages/db/src/url.ts";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  async adapter() {
    return migrationAdapter(databaseUrl());
  },
});
