// Renders infra/k8s/rendered/<env>/{00-base,10-migrate-hook,20-app}.yaml for every values file.
//   npx tsx infra/k8s/cli.ts                 write the rendered manifests
//   npx tsx infra/k8s/cli.ts --check         exit 1 when a committed file differs from a fresh render
//   npx tsx infra/k8s/cli.ts --values f.yaml --out dir   render one values file elsewhere
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { loadValues, RENDERED_DIR, valuesFiles } from "./load.ts";
import { render } from "./render.ts";
import { toYamlFiles } from "./yaml.ts";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const check = process.argv.includes("--check");
const single = arg("--values");
const targets = single
  ? [{ env: path.basename(single).replace(/\.ya?ml$/, ""), file: single, out: arg("--out") ?? "." }]
  : valuesFiles().map((t) => ({ ...t, out: path.join(RENDERED_DIR, t.env) }));

let stale = 0;
for (const t of targets) {
  const files = toYamlFiles(render(loadValues(t.file)), t.file);
  for (const [name, text] of Object.entries(files)) {
    const dest = path.join(t.out, name);
    if (check) {
      if (!existsSync(dest) || readFileSync(dest, "utf8") !== text) {
        console.error(`stale: ${dest} (run: npx tsx infra/k8s/cli.ts)`);
        stale++;
      }
    } else {
      mkdirSync(t.out, { recursive: true });
      writeFileSync(dest, text);
      console.log(`wrote ${dest}`);
    }
  }
}
if (stale > 0) process.exit(1);
