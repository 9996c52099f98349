// Bundle the CLI into one ES module with its dependencies (yaml) inside: `npm pack` then ships a
// package with no runtime dependencies, so `npm i -g ./hyperensemble-cli-*.tgz` works offline and
// nothing runs through tsx.
import { chmod } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const outfile = path.join(root, "dist", "hens.mjs");
await build({
  entryPoints: [path.join(root, "src", "bin.ts")],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // yaml is CommonJS and requires Node built-ins: give the ES module bundle a `require` for them.
  banner: {
    js: '#!/usr/bin/env node\nimport { createRequire as __hensRequire } from "node:module";\nconst require = __hensRequire(import.meta.url);',
  },
  legalComments: "none",
  logLevel: "warning",
});
await chmod(outfile, 0o755);
