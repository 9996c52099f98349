/**
 * Validating the environment when the server starts stops a server with a bad AUTH_SECRET (or any
 * other invalid variable) at once, with the message, instead of one that answers /api/health and
 * fails every sign-in: Next.js itself only logs a failing `register` and keeps serving. `next build`
 * has no secrets to check (env.ts skips the check during the build).
 */
export async function checkEnvironmentOrExit(): Promise<void> {
  try {
    await import("./env");
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
