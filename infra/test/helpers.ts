import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const INFRA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const ROOT = path.resolve(INFRA, "..");

export function read(rel: string): string {
  return readFileSync(path.join(ROOT, rel), "utf8");
}

export function exists(rel: string): boolean {
  return existsSync(path.join(ROOT, rel));
}

/** Every *.ts file under a repo-relative directory (no node_modules, no generated code). */
export function tsFiles(rel: string): string[] {
  const dir = path.join(ROOT, rel);
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      if (e === "node_modules" || e === "generated" || e.startsWith(".")) continue;
      const p = path.join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|tsx)$/.test(e)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

export interface EnvSchemaKey {
  name: string;
  /** `.optional()` or `.default(...)`: the app starts without it */
  optional: boolean;
  /** validated as a URL: an empty string is rejected */
  url: boolean;
}

/**
 * Reads the keys of an app's zod env schema (apps/<app>/src/env.ts: `const schema = z.object({...})`).
 * Returns undefined when the file does not exist (yet).
 */
export function envSchemaKeys(rel: string): EnvSchemaKey[] | undefined {
  if (!exists(rel)) return undefined;
  const src = read(rel);
  const start = src.search(/z\.object\(\{/);
  if (start < 0) throw new Error(`${rel}: no z.object({...}) env schema found`);
  const keys: EnvSchemaKey[] = [];
  // one key per line: `  NAME: z....,` (entries may continue on following lines until the next key)
  const body = src.slice(start).split("\n");
  let current: { name: string; text: string } | undefined;
  const flush = () => {
    if (!current) return;
    keys.push({
      name: current.name,
      optional: /\.optional\(\)|\.default\(/.test(current.text),
      url: /z\.url\(|\.url\(/.test(current.text),
    });
  };
  for (const line of body.slice(1)) {
    if (/^\s*\}\)/.test(line)) break;
    const m = /^\s*([A-Z][A-Z0-9_]*)\s*:/.exec(line);
    if (m) {
      flush();
      current = { name: m[1] as string, text: line };
    } else if (current) current.text += line;
  }
  flush();
  return keys;
}

export function readJson(rel: string): unknown {
  return JSON.parse(read(rel));
}
