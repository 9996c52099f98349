# syntax=docker/dockerfile:1.7
# HyperEnsemble web app (Next.js standalone output). Build from the repository root:
#   docker build -f infra/docker/web.Dockerfile -t hyperensemble/web:0.1.0 .
# BuildKit reads infra/docker/web.Dockerfile.dockerignore for this build.

ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# --- manifests: only the package.json files and the lockfile, so `deps` is cached until they change
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir /out \
 && find . -name package.json -not -path '*/node_modules/*' -exec cp --parents {} /out/ \; \
 && cp package-lock.json /out/

# --- deps: the lockfile install (npm install keeps the lockfile; see TOOLCHAIN.md on npm ci and turbo)
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1 TURBO_TELEMETRY_DISABLED=1 CHECKPOINT_DISABLE=1 \
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
ARG NPM_INSTALL="npm install --no-audit --no-fund"
COPY --from=manifests /out/ ./
# --ignore-scripts: the root postinstall (prisma generate) needs the sources, so it runs in a later stage
RUN --mount=type=cache,target=/root/.npm ${NPM_INSTALL} --ignore-scripts

# --- build: prisma client + next build (output: "standalone", outputFileTracingRoot = repo root)
FROM deps AS build
COPY . .
# Prisma needs DATABASE_URL set (any value) to generate; it is not kept in the image.
# the root postinstall (prisma generate), then next build
RUN npm run postinstall --if-present \
 && DATABASE_URL=postgresql://build:build@127.0.0.1:5432/build npm run build --workspace @hyperensemble/web \
 && mkdir -p apps/web/public \
 && test -f apps/web/.next/standalone/apps/web/server.js

# --- runtime: the standalone server only, as an unprivileged user
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1 PORT=3000 HOSTNAME=0.0.0.0
RUN groupadd --system --gid 1001 hyperensemble \
 && useradd --system --uid 1001 --gid hyperensemble --home-dir /app --shell /usr/sbin/nologin hyperensemble
COPY --from=build --chown=1001:1001 /app/apps/web/.next/standalone/ ./
COPY --from=build --chown=1001:1001 /app/apps/web/.next/static ./apps/web/.next/static
COPY --from=build --chown=1001:1001 /app/apps/web/public ./apps/web/public
USER 1001:1001
EXPOSE 3000
# 200 only when Postgres and the queue answer (GET /api/health)
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "apps/web/server.js"]
