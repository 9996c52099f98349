// The quickstart's AUTH_SECRET: 32 random bytes generated on the first run and kept in
// .data/auth-secret (mode 0600), so sessions survive a restart and nobody else's install shares it.
// An AUTH_SECRET in the environment wins (the operator chose it).
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

export const AUTH_SECRET_FILE = "auth-secret";

export interface QuickstartSecret {
  secret: string;
  /** Where it came from, for the quickstart's log line. */
  source: "environment" | "created" | "kept";
  file: string;
}

export function quickstartAuthSecret(
  dataDir: string,
  fromEnv: string | undefined = process.env.AUTH_SECRET,
): QuickstartSecret {
  const file = path.join(dataDir, AUTH_SECRET_FILE);
  if (fromEnv) return { secret: fromEnv, source: "environment", file };
  mkdirSync(dataDir, { recursive: true });
  try {
    // `wx`: never overwrite; two quickstarts racing on a fresh clone end up with the same secret.
    writeFileSync(file, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
    return { secret: readSecret(file), source: "created", file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  // A copy restored without its mode (or an older umask) must not stay readable by others.
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  return { secret: readSecret(file), source: "kept", file };
}

function readSecret(file: string): string {
  const secret = readFileSync(file, "utf8").trim();
  if (!secret) throw new Error(`${file} is empty: delete it and the quickstart generates a new AUTH_SECRET`);
  return secret;
}
