// The `hens` command (bundled to dist/hens.mjs by scripts/build.mjs).
import { main } from "./cli.ts";

process.exitCode = await main(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
});
