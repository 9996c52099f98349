#!/usr/bin/env node
// The `hens` command: runs the TypeScript sources through tsx (no build step in this monorepo).
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli.ts");
process.exitCode = await main(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
});
