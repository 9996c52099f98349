# syntax=docker/dockerfile:1.7
# HyperEnsemble database migrations: `npm run db:migrate` (Prisma 6.19 migrate deploy on its wasm
# engines, offline). Run as a one-shot container or the Kubernetes pre-install/pre-upgrade Job.
#   docker build -f infra/docker/migrate.Dockerfile -t hyperensemble/migrate:0.1.0 .

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

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production CHECKPOINT_DISABLE=1 HOME=/tmp
RUN groupadd --system --gid 1001 hyperensemble \
 && useradd --system --uid 1001 --gid hyperensemble --home-dir /app --shell /usr/sbin/nologin hyperensemble
COPY --from=deps --chown=1001:1001 /app/ ./
# the sources (scripts/db.ts, prisma/, packages/db) over the installed tree
COPY --chown=1001:1001 . .
RUN npm run postinstall --if-present \
 && test -f scripts/db.ts && test -f prisma/schema.prisma
USER 1001:1001
# exits 0 when every migration is applied (re-running is a no-op); non-zero fails the Job
CMD ["npm", "run", "db:migrate"]
