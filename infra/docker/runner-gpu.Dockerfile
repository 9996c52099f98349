# syntax=docker/dockerfile:1.7
# HyperEnsemble GPU runner: NVIDIA CUDA runtime + cuDNN, the Vulkan loader for the engine's WebGPU
# path (Dawn, `webgpu` npm), and optionally @tensorflow/tfjs-node-gpu. Build from the repo root:
#   docker build -f infra/docker/runner-gpu.Dockerfile -t hyperensemble/gpu-runner:0.1.0 .
#   docker build -f infra/docker/runner-gpu.Dockerfile --build-arg WITH_TFJS_NODE_GPU=1 ...
# tfjs-node-gpu 4.22 links libtensorflow 2.9 (CUDA 11.x, cuDNN 8): hence the CUDA 11.8 base.
# Ubuntu 22.04's libstdc++ (GCC 12) provides the GLIBCXX_3.4.30 that webgpu's dawn.node needs.

ARG NODE_IMAGE=node:20.20.2-bookworm-slim
ARG CUDA_IMAGE=nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04

FROM ${NODE_IMAGE} AS node

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
# Optional layer: TensorFlow's native GPU backend (downloads libtensorflow in its install script,
# which npm 11 does not run for dependencies unless asked: so run it explicitly).
ARG WITH_TFJS_NODE_GPU=0
ARG TFJS_NODE_GPU_VERSION=4.22.0
RUN if [ "$WITH_TFJS_NODE_GPU" = "1" ]; then \
      npm install --no-save --no-audit --no-fund --ignore-scripts "@tensorflow/tfjs-node-gpu@${TFJS_NODE_GPU_VERSION}" \
      && npm run install --prefix node_modules/@tensorflow/tfjs-node-gpu; \
    fi

FROM deps AS build
COPY . .
# the root postinstall: prisma generate (packages/db's client, gitignored)
RUN npm run postinstall --if-present \
 && test -f apps/gpu-runner/src/main.ts

FROM ${CUDA_IMAGE} AS runtime
# libvulkan1: the Vulkan loader Dawn opens; the NVIDIA ICD (libGLX_nvidia) is mounted by the NVIDIA
# container toolkit when NVIDIA_DRIVER_CAPABILITIES includes "graphics".
RUN apt-get update \
 && apt-get install -y --no-install-recommends libvulkan1 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# Some toolkit versions mount the driver libraries but not the ICD manifest: ship it.
COPY infra/docker/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version \
 && groupadd --system --gid 1001 hyperensemble \
 && useradd --system --uid 1001 --gid hyperensemble --home-dir /app --shell /usr/sbin/nologin hyperensemble
ENV NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics \
    NODE_ENV=production ENGINE_BACKEND=tensorflow RUNNER_HTTP_PORT=9464 RUNNER_CONCURRENCY=1 HOME=/tmp
WORKDIR /app
COPY --from=build --chown=1001:1001 /app/ ./
USER 1001:1001
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.RUNNER_HTTP_PORT||9464)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--import", "tsx", "apps/gpu-runner/src/main.ts"]
