// What makes an AUTH_SECRET acceptable in production. Whoever knows the secret can mint a session
// cookie for any user (next-auth derives the JWT encryption key from it), so a secret that is public
// (the development default, a placeholder copied from a manifest) or guessable (short, repetitive)
// is as good as none.

/** The development default: in the public source, so never a production secret. */
export const DEV_AUTH_SECRET = "hyperensemble-development-secret-change-me";

/** 32 random bytes: what `openssl rand -base64 32` and the quickstart produce. */
export const MIN_SECRET_BYTES = 32;

/**
 * Words a generated secret essentially never contains (a 44-character random base64 string holds a
 * given 6-letter word with probability ~4e-8) but placeholders always do. Compared after lowercasing
 * and dropping everything but letters and digits, so CHANGE_ME, change-me and changeMe all match.
 */
const PLACEHOLDER_WORDS = [
  "changeme",
  "replaceme",
  "placeholder",
  "secret",
  "example",
  "development",
  "password",
  "default",
  "insecure",
  "hyperensemble",
  "openssl",
];

/** Fewer distinct characters than this is a pattern, not randomness (random base64 of 32 bytes has ~31). */
const MIN_DISTINCT_CHARS = 12;

const HOW = "generate one with `openssl rand -base64 32`";

/** Bytes of key material the string carries: hex and base64 are decoded, anything else counts raw. */
export function secretBytes(secret: string): number {
  if (/^[0-9a-f]+$/i.test(secret) && secret.length % 2 === 0) return secret.length / 2;
  const b64 = /^([A-Za-z0-9+/_-]+)(={0,2})$/.exec(secret);
  if (b64?.[1]) return Math.floor((b64[1].length * 6) / 8);
  return Buffer.byteLength(secret, "utf8");
}

/** Why `secret` must not sign production sessions, or null when it is fine. */
export function authSecretProblem(secret: string): string | null {
  if (secret === DEV_AUTH_SECRET) {
    return `AUTH_SECRET is the development default, which is public; ${HOW}`;
  }
  return weakSecretProblem("AUTH_SECRET", secret);
}

/**
 * Why the secret in variable `name` is a placeholder or guessable, or null: the rules for any
 * secret the platform is configured with (AUTH_SECRET, bearer tokens for operator endpoints).
 */
export function weakSecretProblem(name: string, secret: string): string | null {
  const letters = secret.toLowerCase().replace(/[^a-z0-9]/g, "");
  const word = PLACEHOLDER_WORDS.find((w) => letters.includes(w));
  if (word) return `${name} looks like a placeholder (it contains "${word}"); ${HOW}`;
  const bytes = secretBytes(secret);
  if (bytes < MIN_SECRET_BYTES) {
    return `${name} is too short: ${bytes} bytes of key material, at least ${MIN_SECRET_BYTES} needed; ${HOW}`;
  }
  const distinct = new Set(secret).size;
  // A string that is a repetition of a shorter one ("0123456789abcdef" × 4) finds itself inside its
  // doubled copy before position `length`.
  const periodic = `${secret}${secret}`.indexOf(secret, 1) < secret.length;
  if (distinct < MIN_DISTINCT_CHARS || periodic) {
    return `${name} is not random (${distinct} distinct characters${periodic ? ", a repeated pattern" : ""}); ${HOW}`;
  }
  return null;
}
