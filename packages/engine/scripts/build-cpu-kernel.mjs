/**
 * Builds the fused CPU kernel (src/kernel/cpu/kernel.c) two ways:
 *   node scripts/build-cpu-kernel.mjs wasm     → src/kernel/cpu/kernel.wasm (committed; needs clang + lld)
 *   node scripts/build-cpu-kernel.mjs wasm-relaxed → src/kernel/cpu/kernel-relaxed.wasm (committed; needs
 *                                                 clang ≥ 16; runs where the runtime validates it)
 *   node scripts/build-cpu-kernel.mjs native   → native/cpu-kernel.node (AVX2/FMA N-API addon; needs cc
 *                                                 and Node's headers), skipped cleanly without them
 * The native build is a plain C compiler call, not node-gyp: two C files and one link need no Python,
 * no gyp and no download, and the install step can tell "no toolchain" from a failure in one line.
 * `npm install` runs the native build (packages/engine postinstall) and never fails because of it.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const engine = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(engine, "src/kernel/cpu");

/** The clang command line of the WebAssembly build (the wasm-matches-source test runs the same one). */
/** The kernel's C sources (napi.c joins them in the native build). */
export const sources = ["kernel.c", "member.c"];
/** Everything the builds read: a change to any of them makes the native addon stale. */
export const inputs = [...sources, "kernel.h", "member.h", "simd.h", "napi.c"];

export function wasmArgs(out, relaxed = false) {
  return [
    "--target=wasm32",
    "-O3",
    "-msimd128",
    // the relaxed build's FMA is explicit (simd.h FMA → f32x4.relaxed_madd)
    ...(relaxed ? ["-mrelaxed-simd", "-DKERNEL_RELAXED"] : []),
    "-matomics",
    "-mbulk-memory",
    "-mmutable-globals",
    // no FMA contraction: the plain SIMD128 build has no fused multiply-add anyway
    "-ffp-contract=off",
    "-nostdlib",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wl,--no-entry",
    "-Wl,--import-memory",
    "-Wl,--shared-memory",
    "-Wl,--max-memory=4294967296",
    "-Wl,--export=kernel_run",
    "-Wl,--export=member_run",
    "-Wl,--export=kernel_lanes",
    "-Wl,--export=kernel_block",
    "-Wl,--export=__heap_base",
    // each worker's instance gets its own stack in the shared memory
    "-Wl,--export=__stack_pointer",
    "-o",
    out,
    ...sources,
  ];
}

export function buildWasm(out = join(src, "kernel.wasm")) {
  execFileSync("clang", wasmArgs(out), { cwd: src, stdio: "inherit" });
  return out;
}

/**
 * A clang that emits the standard relaxed-SIMD opcodes (16 or later: clang 14's f32x4.fma is the
 * draft opcode 0xaf, which Node 20 rejects even with --experimental-wasm-relaxed-simd), or undefined.
 */
export function relaxedClang() {
  for (const cc of [process.env.CLANG_RELAXED, "clang-19", "clang-18", "clang-17", "clang-16", "clang"]) {
    if (!cc) continue;
    try {
      const v = execFileSync(cc, ["--version"], { encoding: "utf8" });
      const major = Number(/clang version (\d+)/.exec(v)?.[1]);
      if (major >= 16) return cc;
    } catch {
      // not installed
    }
  }
  return undefined;
}

export function buildRelaxedWasm(out = join(src, "kernel-relaxed.wasm")) {
  const cc = relaxedClang();
  if (!cc) throw new Error("the relaxed-SIMD build needs clang 16 or later (CLANG_RELAXED names one)");
  execFileSync(cc, wasmArgs(out, true), { cwd: src, stdio: "inherit" });
  return out;
}

export const nativeAddon = join(engine, "native/cpu-kernel.node");

export function buildNative(out = nativeAddon) {
  mkdirSync(dirname(out), { recursive: true });
  const cc = process.env.CC ?? "cc";
  const include = join(dirname(dirname(process.execPath)), "include/node");
  const headers = [
    process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, "include/node"),
    include,
  ]
    .filter(Boolean)
    .find((d) => existsSync(join(d, "node_api.h")));
  if (!headers) throw new Error("Node's headers (node_api.h) not found");
  const tmp = `${out}.${process.pid}`;
  const common = ["-O3", "-fPIC", "-Wall", "-Wextra", "-Werror", "-I", src];
  const objects = sources.map((f, i) => {
    const o = `${tmp}.${i}.o`;
    execFileSync(cc, [...common, "-mavx2", "-mfma", "-ffp-contract=fast", "-c", join(src, f), "-o", o]);
    return o;
  });
  execFileSync(cc, [...common, "-I", headers, "-c", join(src, "napi.c"), "-o", `${tmp}.n.o`]);
  execFileSync(cc, ["-shared", "-o", tmp, ...objects, `${tmp}.n.o`]);
  execFileSync("rm", ["-f", ...objects, `${tmp}.n.o`]);
  renameSync(tmp, out);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const what = process.argv[2];
  if (what === "wasm") console.log(`built ${relative(process.cwd(), buildWasm())}`);
  else if (what === "wasm-relaxed") console.log(`built ${relative(process.cwd(), buildRelaxedWasm())}`);
  else if (what === "native") {
    try {
      if (process.arch !== "x64" || process.platform !== "linux")
        throw new Error(`${process.platform}/${process.arch}`);
      const newest = Math.max(...inputs.map((f) => statSync(join(src, f)).mtimeMs));
      // the root and the engine's postinstall both ask: build once
      if (
        existsSync(nativeAddon) &&
        statSync(nativeAddon).mtimeMs > newest &&
        !process.argv.includes("--force")
      )
        console.log("cpu kernel: native addon up to date");
      else console.log(`cpu kernel: built ${relative(process.cwd(), buildNative())}`);
    } catch (e) {
      // never fails the install: the WebAssembly build is the fallback
      console.log(`cpu kernel: native build skipped (${e instanceof Error ? e.message.split("\n")[0] : e})`);
    }
  } else {
    console.error("usage: build-cpu-kernel.mjs wasm|wasm-relaxed|native");
    process.exit(2);
  }
}
