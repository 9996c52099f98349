import { z } from "zod";
import { authSecretProblem, DEV_AUTH_SECRET, weakSecretProblem } from "./server/auth/secret";

// The web app's environment, validated once. Production refuses a public, placeholder or short
// AUTH_SECRET (server/auth/secret.ts); development and tests fall back to the development secret.

/** A positive whole number from the environment; `name` is the variable, for the message. */
const positiveInt = (name: string, fallback: number) =>
  z.coerce
    .number({ error: `${name} must be a number` })
    .int({ error: `${name} must be a whole number` })
    .positive({ error: `${name} must be positive` })
    .default(fallback);

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  AUTH_SECRET: z.string().min(1, { error: "AUTH_SECRET must not be empty" }).default(DEV_AUTH_SECRET),
  DATABASE_URL: z.string().min(1).optional(),
  REDIS_URL: z.string().min(1).optional(),
  /** Platform admins (operators): emails, comma separated; they see /admin/bull and /admin/queues. */
  HENS_PLATFORM_ADMINS: z.string().optional(),
  /** Sign-in throttle (server/auth/sign-in-throttle.ts): attempts per account, then one per refill. */
  HENS_SIGNIN_ACCOUNT_ATTEMPTS: positiveInt("HENS_SIGNIN_ACCOUNT_ATTEMPTS", 10),
  HENS_SIGNIN_ACCOUNT_REFILL_SECONDS: positiveInt("HENS_SIGNIN_ACCOUNT_REFILL_SECONDS", 60),
  /** The same per client address, across every account. */
  HENS_SIGNIN_ADDRESS_ATTEMPTS: positiveInt("HENS_SIGNIN_ADDRESS_ATTEMPTS", 50),
  HENS_SIGNIN_ADDRESS_REFILL_SECONDS: positiveInt("HENS_SIGNIN_ADDRESS_REFILL_SECONDS", 6),
  /** Reverse proxies in front of the web that append to X-Forwarded-For; 0 = exposed directly. */
  HENS_TRUSTED_PROXY_HOPS: z.coerce
    .number({ error: "HENS_TRUSTED_PROXY_HOPS must be a number" })
    .int({ error: "HENS_TRUSTED_PROXY_HOPS must be a whole number" })
    .min(0, { error: "HENS_TRUSTED_PROXY_HOPS must be 0 or more" })
    .default(0),
  /** Who may create an account (server/auth/signup.ts): open | invite | domains:<list> | oidc-group:<value>. */
  HENS_SIGNUP: z.string().default("invite"),
  /** The OIDC claim HENS_SIGNUP=oidc-group:<value> reads (a list of group names). */
  HENS_SIGNUP_GROUP_CLAIM: z.string().min(1).default("groups"),
  /** Email verification at sign-up: off, optional (a link is sent), required (no sign-in before). */
  HENS_EMAIL_VERIFICATION: z.enum(["off", "optional", "required"]).default("optional"),
  /** Outgoing mail (nodemailer): smtp://user:pass@host:587 or smtps://…; unset: log and admin outbox. */
  HENS_SMTP_URL: z.string().min(1).optional(),
  HENS_MAIL_FROM: z.string().min(3).default("HyperEnsemble <no-reply@localhost>"),
  /** A browser session ends after this many hours without a request (each request slides it). */
  HENS_SESSION_IDLE_HOURS: positiveInt("HENS_SESSION_IDLE_HOURS", 24),
  /** And after this many days whatever happens (the cookie's own lifetime). */
  HENS_SESSION_MAX_DAYS: positiveInt("HENS_SESSION_MAX_DAYS", 7),
  AUTH_GITHUB_ID: z.string().optional(),
  AUTH_GITHUB_SECRET: z.string().optional(),
  AUTH_GITLAB_ID: z.string().optional(),
  AUTH_GITLAB_SECRET: z.string().optional(),
  AUTH_OIDC_ISSUER: z.url({ error: "AUTH_OIDC_ISSUER must be a URL" }).optional(),
  AUTH_OIDC_ID: z.string().optional(),
  AUTH_OIDC_SECRET: z.string().optional(),
  AUTH_OIDC_NAME: z.string().optional(),
  /** The public URL (next-auth reads it too): https turns on HSTS and `__Secure-` session cookies. */
  AUTH_URL: z.url({ error: "AUTH_URL must be a URL" }).optional(),
  /** Bearer token Prometheus sends to /api/metrics; unset: 404 in production, open in development. */
  HENS_METRICS_TOKEN: z
    .string()
    .min(16, { error: "HENS_METRICS_TOKEN must be at least 16 characters" })
    .optional(),
  /** One request-body cap for tRPC and REST (bytes): a 10 MiB dataset upload plus JSON overhead. */
  HENS_MAX_BODY_BYTES: z.coerce
    .number({ error: "HENS_MAX_BODY_BYTES must be a number of bytes" })
    .int({ error: "HENS_MAX_BODY_BYTES must be a whole number of bytes" })
    .min(1024, { error: "HENS_MAX_BODY_BYTES must be at least 1024" })
    .max(1024 * 1024 * 1024, { error: "HENS_MAX_BODY_BYTES must be at most 1 GiB" })
    .default(12 * 1024 * 1024),
  /** Webhooks may target private, loopback and link-local addresses (SSRF guard off): "1" or "true". */
  HENS_WEBHOOK_ALLOW_PRIVATE: z
    .enum(["0", "1", "true", "false"], { error: "HENS_WEBHOOK_ALLOW_PRIVATE must be 1, 0, true or false" })
    .default("0")
    .transform((v) => v === "1" || v === "true"),
  /** The webhook delivery worker in this web process: "0" turns it off (another process runs it). */
  HENS_WEBHOOK_WORKER: z
    .enum(["0", "1"], { error: "HENS_WEBHOOK_WORKER must be 1 or 0" })
    .default("1")
    .transform((v) => v === "1"),
  /** Events (SSE resume, webhook backlog) are kept this many days. */
  HENS_EVENT_RETENTION_DAYS: positiveInt("HENS_EVENT_RETENTION_DAYS", 7),
});

export type WebEnv = z.infer<typeof schema>;

/** Validate `source` (process.env); throws with every problem, each naming its variable. */
export function parseWebEnv(source: Record<string, string | undefined>): WebEnv {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    throw new Error(
      `Invalid environment: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  }
  const env = parsed.data;
  // `next build` evaluates modules with NODE_ENV=production and no secrets: checked when serving.
  const building = source["NEXT_PHASE"] === "phase-production-build";
  if (!building && env.NODE_ENV === "production") {
    const problem = source["AUTH_SECRET"]
      ? authSecretProblem(env.AUTH_SECRET)
      : "AUTH_SECRET is not set; generate one with `openssl rand -base64 32`";
    if (problem) throw new Error(`Invalid environment: ${problem}`);
    // The metrics token guards the same kind of door: a placeholder from a manifest is refused too.
    const metricsProblem = env.HENS_METRICS_TOKEN
      ? weakSecretProblem("HENS_METRICS_TOKEN", env.HENS_METRICS_TOKEN)
      : null;
    if (metricsProblem) throw new Error(`Invalid environment: ${metricsProblem}`);
  }
  return env;
}

export const env = parseWebEnv(process.env);
