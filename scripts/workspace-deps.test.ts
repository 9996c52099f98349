// Each workspace declares what its source imports (issue 14): a package that works here only because
// npm hoisted a sibling's dependency breaks when it is installed or bundled on its own. Scans every
// workspace's src for bare imports and checks each against that workspace's package.json.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const rootManifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as Manifest;

interface Manifest {
  name: string;
  files?: string[];
  workspaces?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** The workspace folders the root's `workspaces` globs name (each is `dir/*` or a folder). */
function workspaces(): string[] {
  return (rootManifest.workspaces ?? []).flatMap((pattern) => {
    if (!pattern.endsWith("/*")) return [pattern];
    const parent = pattern.slice(0, -2);
    return readdirSync(join(ROOT, parent))
      .map((name) => `${parent}/${name}`)
      .filter((dir) => statSync(join(ROOT, dir, "package.json"), { throwIfNoEntry: false })?.isFile());
  });
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory())
      return entry.name === "node_modules" || entry.name === "generated" ? [] : sourceFiles(path);
    return /\.(ts|tsx|mts|js|mjs)$/.test(entry.name) && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

// Static and type imports, re-exports, side-effect imports, dynamic import() and require().
const SPECIFIER =
  /(?:^|[\s;])(?:import|export)\s[^'"`;]*?\bfrom\s*["']([^"']+)["']|(?:^|[\s;])import\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)|\brequire\(\s*["']([^"']+)["']\s*\)/gm;

/** The bare package names a file imports (`@scope/name` or `name`), without relative, alias or builtin. */
function importedPackages(source: string): string[] {
  // Comments may mention an import (`import("x")` in prose) that the code does not make.
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
  const names = new Set<string>();
  for (const m of code.matchAll(SPECIFIER)) {
    const spec = m[1] ?? m[2] ?? m[3] ?? m[4]!;
    if (spec.startsWith(".") || spec.startsWith("/") || spec.startsWith("@/") || spec.startsWith("node:"))
      continue;
    const parts = spec.split("/");
    const name = spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
    if (builtinModules.includes(name)) continue;
    names.add(name);
  }
  return [...names];
}

// Test files, their helpers, and the `testing` modules packages export for other packages' tests.
const isTestFile = (path: string) => /\.test(-helpers)?\.tsx?$|\/testing(\.ts|\/)/.test(path);

/**
 * Imports a scan of the text finds but no installed package makes. The engine's dataset worker is
 * started from a string of code that registers tsx's loader only under a TypeScript runner (vitest,
 * `node --import tsx`), which brings tsx itself (validate.ts explains).
 */
const RUNNER_ONLY: Record<string, string[]> = { "packages/engine": ["tsx"] };

describe("workspace dependencies", () => {
  it("finds the imports the scan is meant to find, and no builtin, relative or alias", () => {
    const source = [
      `import { z } from "zod";`,
      `import type { Db } from "@hyperensemble/db";`,
      `export { x } from "@scope/pkg/sub/path";`,
      `import "side-effect";`,
      `const m = await import("dynamic-one");`,
      `const r = require("required-one");`,
      `import { readFileSync } from "node:fs";`,
      `import path from "path";`,
      `import { a } from "./a.ts";`,
      `import { ui } from "@/components/ui";`,
      `// import("only-in-a-comment")`,
      `import {\n  multi,\n  line,\n} from "multi-line";`,
    ].join("\n");
    expect(importedPackages(source).sort()).toEqual(
      [
        "@hyperensemble/db",
        "@scope/pkg",
        "dynamic-one",
        "multi-line",
        "required-one",
        "side-effect",
        "zod",
      ].sort(),
    );
  });

  it.each(workspaces())("%s declares every package its src imports", (dir) => {
    const manifest = JSON.parse(readFileSync(join(ROOT, dir, "package.json"), "utf8")) as Manifest;
    // A package published as a bundle (the CLI: `files` holds its dist only) has its imports inlined
    // at build time, so its devDependencies are what its source may import.
    const bundled = manifest.files !== undefined && !manifest.files.some((f) => f.startsWith("src"));
    const production = new Set([
      manifest.name,
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
      ...(bundled ? Object.keys(manifest.devDependencies ?? {}) : []),
      ...(RUNNER_ONLY[dir] ?? []),
    ]);
    // Tests may also use the package's own dev tools and the repository's shared ones (vitest).
    const forTests = new Set([
      ...production,
      ...Object.keys(manifest.devDependencies ?? {}),
      ...Object.keys(rootManifest.devDependencies ?? {}),
    ]);
    const src = join(ROOT, dir, "src");
    const files = statSync(src, { throwIfNoEntry: false })?.isDirectory() ? sourceFiles(src) : [];
    const missing: string[] = [];
    for (const file of files) {
      const declared = isTestFile(file) ? forTests : production;
      for (const name of importedPackages(readFileSync(file, "utf8")))
        if (!declared.has(name)) missing.push(`${relative(ROOT, file)} imports ${name}`);
    }
    expect(missing).toEqual([]);
  });
});
