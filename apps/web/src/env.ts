import { z } from "zod";

// The web app's environment, validated once. Production refuses the development secret.
const DEV_SECRET = "hyperensemble-development-secret-change-me";

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  AUTH_SECRET: z
    .string()
    .min(16, { error: "AUTH_SECRET must be at least 16 characters" })
    .default(DEV_SECRET),
  DATABASE_URL: z.string().min(1).optional(),
  REDIS_URL: z.string().min(1).optional(),
  HENS_ALLOW_DEV_SECRET: z.string().optional(),
  /** Platform admins (operators): emails, comma separated; they see /admin/bull and /admin/queues. */
  HENS_PLATFORM_ADMINS: z.string().optional(),
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
});

function loadEnv() {
  const parsed = schema.safeParse(process.env);
  if (!parsed.success) {
    throw new Error(
      `Invalid environment: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  }
  const env = parsed.data;
  // Checked when the server starts, not while `next build` evaluates modules.
  const building = process.env.NEXT_PHASE === "phase-production-build";
  if (
    !building &&
    env.NODE_ENV === "production" &&
    env.AUTH_SECRET === DEV_SECRET &&
    env.HENS_ALLOW_DEV_SECRET !== "1"
  ) {
    throw new Error("AUTH_SECRET: set a real secret in production (the development default is refused)");
  }
  return env;
}

export const env = loadEnv();
