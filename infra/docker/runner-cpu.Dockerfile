# syntax=docker/dockerfile:1.7
# HyperEnsemble runner without a GPU (engine backend wasm or cpu). Build from the repository root:
#   docker build -f infra/docker/runner-cpu.Dockerfile -t hyperensemble/runner-cpu:0.1.0 .

ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir /out \
 && find . -name package.json -not -path '*/node_modules/*' -exec cp --parents {} /out/ \; \
 && cp package-lock.json /out/

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV TURBO_TELEMETRY_DISABLED=1 CHECKPOINT_DISABLE=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
ARG NPM_INSTALL="npm install --no-audit --no-fund"
COPY --from=manifests /out/ ./
# --ignore-scripts: the root postinstall (prisma generate) needs the sources, so it runs in a later stage
RUN --mount=type=cache,target=/root/.npm ${NPM_INSTALL} --ignore-scripts

FROM deps AS build
COPY . .
# the root postinstall: prisma generate (packages/db's client, gitignored)
RUN npm run postinstall --if-present \
 && test -f apps/gpu-runner/src/main.ts

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production ENGINE_BACKEND=wasm RUNNER_HTTP_PORT=9464 RUNNER_CONCURRENCY=1 HOME=/tmp
RUN groupadd --system --gid 1001 hyperensemble \
 && useradd --system --uid 1001 --gid hyperensemble --home-dir /app --shell /usr/sbin/nologin hyperensemble
COPY --from=build --chown=1001:1001 /app/ ./
USER 1001:1001
EXPOSE 9464
# 200 while the worker's heartbeat is fresh (GET /healthz on RUNNER_HTTP_PORT)
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.RUNNER_HTTP_PORT||9464)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node is PID 1 (no npm wrapper) so SIGTERM reaches the worker's graceful shutdown
CMD ["node", "--import", "tsx", "apps/gpu-runner/src/main.ts"]
