import { randomBytes } from "node:crypto";
import path from "node:path";
import { defineConfig } from "@playwright/test";

// Services (Postgres, migrations) are prepared by scripts/e2e.ts, which sets DATABASE_URL.
const port = Number(process.env.E2E_PORT ?? 3100);
const runnerPort = Number(process.env.E2E_RUNNER_PORT ?? 9475);
const root = path.resolve(import.meta.dirname, "../..");
const serverEnv: Record<string, string> = {
  DATABASE_URL: process.env.DATABASE_URL ?? "",
  ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
  NODE_ENV: "production",
  // A fresh random secret per run: production refuses the public development one.
  AUTH_SECRET: randomBytes(32).toString("base64url"),
  // The specs sign in ~20 times from 127.0.0.1, a dozen as the demo user: the sign-in throttle
  // (defaults 10 per account, 50 per address) would refuse the later ones.
  HENS_SIGNIN_ACCOUNT_ATTEMPTS: "10000",
  HENS_SIGNIN_ADDRESS_ATTEMPTS: "10000",
  // The platform admin of e2e/admin.spec.ts (bull-board at /admin/bull).
  HENS_PLATFORM_ADMINS: "ops@platform.test",
  // e2e/accounts.spec.ts: a new person signs up and creates an organisation (the default is invite).
  HENS_SIGNUP: "open",
  AUTH_URL: `http://localhost:${port}`,
  PATH: process.env.PATH ?? "",
  HOME: process.env.HOME ?? "",
};

export default defineConfig({
  testDir: "./e2e",
  timeout: 300_000,
  expect: { timeout: 15_000 },
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  outputDir: path.join(root, "test-results"),
  use: {
    baseURL: `http://localhost:${port}`,
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--headless=new",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: [
    {
      command: `${path.join(root, "node_modules/.bin/next")} start -p ${port}`,
      cwd: path.join(root, "apps/web"),
      url: `http://localhost:${port}/api/health`,
      timeout: 120_000,
      reuseExistingServer: false,
      env: serverEnv,
    },
    {
      command: `${path.join(root, "node_modules/.bin/tsx")} src/main.ts`,
      cwd: path.join(root, "apps/gpu-runner"),
      url: `http://localhost:${runnerPort}/healthz`,
      timeout: 120_000,
      reuseExistingServer: false,
      // The runner's log (trial outcomes) goes to the test output.
      stdout: "pipe",
      env: {
        ...serverEnv,
        RUNNER_NAME: "e2e-runner",
        RUNNER_HTTP_PORT: String(runnerPort),
        HEARTBEAT_MS: "1000",
      },
    },
  ],
});
