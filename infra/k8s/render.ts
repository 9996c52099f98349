// Renders the HyperEnsemble Kubernetes manifests from a Values object: the typed equivalent of a Helm
// chart's templates. Each object is typed with kubernetes-models' interfaces (so `tsc` rejects an
// unknown field), and test/manifests.test.ts validates every rendered object against the
// Kubernetes and KEDA OpenAPI schemas those packages bundle.
import type { IScaledObject } from "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject";
import type { ITriggerAuthentication } from "@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IStatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import type { IHorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import type { ICronJob } from "kubernetes-models/batch/v1/CronJob";
import type { IJob } from "kubernetes-models/batch/v1/Job";
import type { IIngress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import type { IPersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import type { IPersistentVolumeClaimSpec } from "kubernetes-models/v1/PersistentVolumeClaimSpec";
import type { IPodSecurityContext } from "kubernetes-models/v1/PodSecurityContext";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { IProbe } from "kubernetes-models/v1/Probe";
import type { ISecret } from "kubernetes-models/v1/Secret";
import type { ISecurityContext } from "kubernetes-models/v1/SecurityContext";
import type { IService } from "kubernetes-models/v1/Service";
import type { IServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import type { ImageRef, Resources, RunnerPool, Values } from "./values.ts";

export type Manifest =
  | IConfigMap
  | ISecret
  | IServiceAccount
  | IService
  | IPersistentVolumeClaim
  | IDeployment
  | IStatefulSet
  | IJob
  | ICronJob
  | IIngress
  | IHorizontalPodAutoscaler
  | IPodDisruptionBudget
  | INetworkPolicy
  | IScaledObject
  | ITriggerAuthentication;

/** Ports and paths the apps serve (apps/web, apps/gpu-runner). Tests check probes against these. */
export const APP_ENDPOINTS = {
  web: { port: 3000, health: "/api/health", live: "/api/health/live", metrics: "/api/metrics" },
  runner: { port: 9464, health: "/healthz", metrics: "/metrics" },
} as const;

/** Secret keys every install must provide. */
export const REQUIRED_SECRET_KEYS = ["DATABASE_URL", "REDIS_URL", "REDIS_PASSWORD", "AUTH_SECRET"] as const;
/** Secret keys the web reads when present (a missing one switches its feature off, never fails a pod). */
export const OPTIONAL_APP_SECRET_KEYS = ["HENS_METRICS_TOKEN"] as const;
/** Only for the in-cluster Postgres (its superuser password; DATABASE_URL must embed the same). */
export const POSTGRES_SECRET_KEY = "POSTGRES_PASSWORD";

export type Component = "web" | "runner" | "migrate" | "postgres" | "redis" | "backup";

/** The pod components allowed to open connections to each datastore (NetworkPolicies). */
export const DATASTORE_CLIENTS: Record<"postgres" | "redis", Component[]> = {
  postgres: ["web", "runner", "migrate", "backup"],
  redis: ["web", "runner"],
};

export const HOOK_ANNOTATIONS = {
  "helm.sh/hook": "pre-install,pre-upgrade",
  "helm.sh/hook-weight": "-5",
  "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded",
  "argocd.argoproj.io/hook": "PreSync",
  "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation",
} as const;

export function imageOf(i: ImageRef): string {
  return i.digest ? `${i.repository}@${i.digest}` : `${i.repository}:${i.tag}`;
}

export function selectorLabels(v: Values, component: Component, pool?: string): Record<string, string> {
  const l: Record<string, string> = {
    "app.kubernetes.io/name": "hyperensemble",
    "app.kubernetes.io/instance": v.release,
    "app.kubernetes.io/component": component,
  };
  if (pool) l["hyperensemble.io/runner-pool"] = pool;
  return l;
}

function labels(v: Values, component: Component, pool?: string): Record<string, string> {
  return {
    ...selectorLabels(v, component, pool),
    "app.kubernetes.io/part-of": "hyperensemble",
    "app.kubernetes.io/managed-by": "hyperensemble-infra",
  };
}

function meta(
  v: Values,
  name: string,
  component: Component,
  extra: { annotations?: Record<string, string> } = {},
) {
  return { name, namespace: v.namespace, labels: labels(v, component), ...extra };
}

const name = (v: Values, suffix: string) => `${v.release}-${suffix}`;
export const names = {
  config: (v: Values) => name(v, "config"),
  serviceAccount: (v: Values) => v.release,
  web: (v: Values) => name(v, "web"),
  runner: (v: Values, pool: string) => name(v, `runner-${pool}`),
  migrate: (v: Values) => name(v, "migrate"),
  postgres: (v: Values) => name(v, "postgres"),
  redis: (v: Values) => name(v, "redis"),
  backup: (v: Values) => name(v, "backup"),
  kedaAuth: (v: Values) => name(v, "redis-auth"),
};

function resources(r: Resources) {
  return { requests: { ...r.requests }, limits: { ...r.limits } };
}

const podSecurity = (uid: number): IPodSecurityContext => ({
  runAsNonRoot: true,
  runAsUser: uid,
  runAsGroup: uid,
  fsGroup: uid,
  seccompProfile: { type: "RuntimeDefault" },
});

const containerSecurity: ISecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
};

function secretEnv(v: Values, key: string, optional = false): IEnvVar {
  return {
    name: key,
    valueFrom: { secretKeyRef: { name: v.secrets.name, key, ...(optional ? { optional } : {}) } },
  };
}

/** Env every app container (web, runner, migrate) gets. */
function commonEnv(v: Values): IEnvVar[] {
  return [secretEnv(v, "DATABASE_URL")];
}

function httpProbe(path: string, port: string, o: Partial<IProbe> = {}): IProbe {
  return { httpGet: { path, port }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3, ...o };
}

const tmpVolume = { name: "tmp", emptyDir: { sizeLimit: "1Gi" } };

function prometheusAnnotations(port: number, path: string): Record<string, string> {
  return { "prometheus.io/scrape": "true", "prometheus.io/port": String(port), "prometheus.io/path": path };
}

// ---------------------------------------------------------------------------------------------------

function configMap(v: Values): IConfigMap {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: meta(v, names.config(v), "web"),
    data: {
      NODE_ENV: "production",
      AUTH_URL: v.config.authUrl,
      AUTH_TRUST_HOST: "true",
      LOG_LEVEL: v.config.logLevel,
      NEXT_TELEMETRY_DISABLED: "1",
      CHECKPOINT_DISABLE: "1",
      // Behind the Ingress the controller appends the client's address to X-Forwarded-For: the
      // sign-in throttle trusts that one entry (docs/operations.md, "Sign-in throttle").
      HENS_TRUSTED_PROXY_HOPS: v.web.ingress.enabled ? "1" : "0",
    },
  };
}

function secret(v: Values): ISecret[] {
  if (!v.secrets.create) return [];
  const pg = `postgresql://${v.postgres.user}:CHANGE_ME_DB_PASSWORD@${names.postgres(v)}.${v.namespace}.svc:${v.postgres.port}/${v.postgres.database}`;
  const redis = `redis://:CHANGE_ME_REDIS_PASSWORD@${names.redis(v)}.${v.namespace}.svc:${v.redis.port}/0`;
  const data: Record<string, string> = {
    DATABASE_URL: pg,
    REDIS_URL: redis,
    REDIS_PASSWORD: "CHANGE_ME_REDIS_PASSWORD",
    AUTH_SECRET: "CHANGE_ME_run_openssl_rand_base64_32",
    HENS_METRICS_TOKEN: "CHANGE_ME_run_openssl_rand_hex_32",
  };
  if (v.postgres.mode === "internal") data[POSTGRES_SECRET_KEY] = "CHANGE_ME_DB_PASSWORD";
  return [
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: meta(v, v.secrets.name, "web", {
        annotations: { "hyperensemble.io/placeholder": "replace every CHANGE_ME value before applying" },
      }),
      type: "Opaque",
      stringData: data,
    },
  ];
}

function serviceAccount(v: Values): IServiceAccount {
  return {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: meta(v, names.serviceAccount(v), "web"),
    automountServiceAccountToken: false,
  };
}

// --- web -------------------------------------------------------------------------------------------

function web(v: Values): Manifest[] {
  const w = v.web;
  const ep = APP_ENDPOINTS.web;
  const container: IContainer = {
    name: "web",
    image: imageOf(w.image),
    imagePullPolicy: w.image.pullPolicy,
    ports: [{ name: "http", containerPort: ep.port, protocol: "TCP" }],
    envFrom: [{ configMapRef: { name: names.config(v) } }],
    env: [
      ...commonEnv(v),
      secretEnv(v, "REDIS_URL"),
      secretEnv(v, "AUTH_SECRET"),
      // Prometheus's bearer token for /api/metrics (optional: without it, metrics answer 404).
      ...OPTIONAL_APP_SECRET_KEYS.map((k) => secretEnv(v, k, true)),
      ...v.secrets.optionalKeys.map((k) => secretEnv(v, k, true)),
      { name: "PORT", value: String(ep.port) },
      { name: "HOSTNAME", value: "0.0.0.0" },
    ],
    resources: resources(w.resources),
    // Startup: Next boots in seconds; allow 2 minutes before liveness starts counting.
    startupProbe: { tcpSocket: { port: "http" }, periodSeconds: 5, failureThreshold: 24 },
    // Ready only while Postgres and the queue answer (/api/health -> 503 otherwise).
    readinessProbe: httpProbe(ep.health, "http", { periodSeconds: 10, failureThreshold: 3 }),
    // Liveness must not depend on the database (a DB outage would restart every pod), nor on the
    // metrics token: the HTTP server answering /api/health/live proves the process is alive.
    livenessProbe: httpProbe(ep.live, "http", {
      periodSeconds: 20,
      timeoutSeconds: 5,
      failureThreshold: 3,
    }),
    securityContext: containerSecurity,
    volumeMounts: [
      { name: "tmp", mountPath: "/tmp" },
      { name: "next-cache", mountPath: "/app/apps/web/.next/cache" },
    ],
  };
  const podLabels = labels(v, "web");
  const deployment: IDeployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: meta(v, names.web(v), "web"),
    spec: {
      // With the HPA on, the HPA owns the count (re-applying must not reset it).
      ...(w.hpa.enabled ? {} : { replicas: w.replicas }),
      revisionHistoryLimit: 5,
      selector: { matchLabels: selectorLabels(v, "web") },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels: podLabels, annotations: prometheusAnnotations(ep.port, ep.metrics) },
        spec: {
          serviceAccountName: names.serviceAccount(v),
          automountServiceAccountToken: false,
          securityContext: podSecurity(1001),
          terminationGracePeriodSeconds: 30,
          containers: [container],
          volumes: [tmpVolume, { name: "next-cache", emptyDir: { sizeLimit: "512Mi" } }],
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: "kubernetes.io/hostname",
              whenUnsatisfiable: "ScheduleAnyway",
              labelSelector: { matchLabels: selectorLabels(v, "web") },
            },
          ],
        },
      },
    },
  };
  const service: IService = {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(v, names.web(v), "web"),
    spec: {
      type: "ClusterIP",
      selector: selectorLabels(v, "web"),
      ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
    },
  };
  const out: Manifest[] = [deployment, service];
  if (w.ingress.enabled) {
    const ingress: IIngress = {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: meta(v, names.web(v), "web", { annotations: { ...w.ingress.annotations } }),
      spec: {
        ingressClassName: w.ingress.className,
        ...(w.ingress.tlsSecretName
          ? { tls: [{ hosts: [w.ingress.host], secretName: w.ingress.tlsSecretName }] }
          : {}),
        rules: [
          {
            host: w.ingress.host,
            http: {
              paths: [
                {
                  path: "/",
                  pathType: "Prefix",
                  backend: { service: { name: names.web(v), port: { name: "http" } } },
                },
              ],
            },
          },
        ],
      },
    };
    out.push(ingress);
  }
  if (w.hpa.enabled) {
    const hpa: IHorizontalPodAutoscaler = {
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: meta(v, names.web(v), "web"),
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: names.web(v) },
        minReplicas: w.hpa.minReplicas,
        maxReplicas: w.hpa.maxReplicas,
        metrics: [
          {
            type: "Resource",
            resource: {
              name: "cpu",
              target: { type: "Utilization", averageUtilization: w.hpa.targetCPUUtilization },
            },
          },
        ],
        behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
      },
    };
    out.push(hpa);
  }
  const pdb: IPodDisruptionBudget = {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: meta(v, names.web(v), "web"),
    spec: {
      selector: { matchLabels: selectorLabels(v, "web") },
      ...(w.pdb.minAvailable !== null ? { minAvailable: w.pdb.minAvailable } : {}),
      ...(w.pdb.maxUnavailable !== null ? { maxUnavailable: w.pdb.maxUnavailable } : {}),
    },
  };
  out.push(pdb);
  return out;
}

// --- runners ---------------------------------------------------------------------------------------

export function redisAddress(v: Values): string {
  return v.redis.mode === "internal"
    ? `${names.redis(v)}.${v.namespace}.svc.cluster.local:${v.redis.port}`
    : (v.redis.address as string);
}

/** The Redis key of BullMQ's wait list for a queue: `<prefix>:<queue>:wait`. */
export function bullKey(v: Values, list: "wait" | "active"): string {
  return `${v.queue.prefix}:${v.queue.name}:${list}`;
}

/** Leaves 30 s of the pod's termination grace for closing connections and marking the runner OFFLINE. */
export function shutdownGraceMs(p: RunnerPool): number {
  return Math.max(10, p.terminationGracePeriodSeconds - 30) * 1000;
}

function runnerPool(v: Values, p: RunnerPool): Manifest[] {
  const ep = APP_ENDPOINTS.runner;
  const deployName = names.runner(v, p.name);
  const sel = selectorLabels(v, "runner", p.name);
  const env: IEnvVar[] = [
    ...commonEnv(v),
    secretEnv(v, "REDIS_URL"),
    { name: "RUNNER_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    { name: "RUNNER_CONCURRENCY", value: String(p.concurrency) },
    { name: "ENGINE_BACKEND", value: p.engineBackend },
    { name: "RUNNER_HTTP_PORT", value: String(ep.port) },
    { name: "NODE_ENV", value: "production" },
    // the worker's own drain deadline, well inside the pod's grace period (then SIGKILL)
    { name: "SHUTDOWN_GRACE_MS", value: String(shutdownGraceMs(p)) },
    // the root filesystem is read-only: caches (TensorFlow, Dawn) go to the /tmp emptyDir
    { name: "HOME", value: "/tmp" },
  ];
  if (p.gpus > 0) {
    env.push(
      { name: "NVIDIA_VISIBLE_DEVICES", value: "all" },
      { name: "NVIDIA_DRIVER_CAPABILITIES", value: "compute,utility,graphics" },
    );
  }
  const container: IContainer = {
    name: "runner",
    image: imageOf(p.image),
    imagePullPolicy: p.image.pullPolicy,
    ports: [{ name: "metrics", containerPort: ep.port, protocol: "TCP" }],
    env,
    resources: resources(p.resources),
    // TensorFlow/CUDA initialisation can take a while on first start: up to 5 minutes.
    startupProbe: httpProbe(ep.health, "metrics", { periodSeconds: 10, failureThreshold: 30 }),
    readinessProbe: httpProbe(ep.health, "metrics", { periodSeconds: 15 }),
    // /healthz is 200 only while the worker's heartbeat is fresh: a wedged worker gets restarted.
    livenessProbe: httpProbe(ep.health, "metrics", {
      periodSeconds: 30,
      timeoutSeconds: 5,
      failureThreshold: 4,
    }),
    securityContext: containerSecurity,
    volumeMounts: [
      { name: "tmp", mountPath: "/tmp" },
      { name: "dshm", mountPath: "/dev/shm" },
    ],
  };
  const deployment: IDeployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { ...meta(v, deployName, "runner"), labels: labels(v, "runner", p.name) },
    spec: {
      // No `replicas`: KEDA owns the count, and re-applying this file must not scale away a pod that
      // is training (the API server creates it with 1; KEDA scales to 0 after the cooldown if idle).
      revisionHistoryLimit: 3,
      selector: { matchLabels: sel },
      // Never run more GPU pods than KEDA asked for during a rollout (GPUs are the scarce resource).
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
      template: {
        metadata: {
          labels: labels(v, "runner", p.name),
          annotations: prometheusAnnotations(ep.port, ep.metrics),
        },
        spec: {
          serviceAccountName: names.serviceAccount(v),
          automountServiceAccountToken: false,
          securityContext: podSecurity(1001),
          terminationGracePeriodSeconds: p.terminationGracePeriodSeconds,
          ...(p.runtimeClassName ? { runtimeClassName: p.runtimeClassName } : {}),
          ...(Object.keys(p.nodeSelector).length ? { nodeSelector: { ...p.nodeSelector } } : {}),
          ...(p.tolerations.length ? { tolerations: p.tolerations.map((t) => ({ ...t })) } : {}),
          containers: [container],
          volumes: [tmpVolume, { name: "dshm", emptyDir: { medium: "Memory", sizeLimit: "2Gi" } }],
        },
      },
    },
  };
  const pdb: IPodDisruptionBudget = {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { ...meta(v, deployName, "runner"), labels: labels(v, "runner", p.name) },
    // One runner at a time may be drained; its trial goes back to WAITING and is retried.
    spec: { selector: { matchLabels: sel }, maxUnavailable: 1 },
  };
  const scaled: IScaledObject = {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata: { ...meta(v, deployName, "runner"), labels: labels(v, "runner", p.name) },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployName },
      minReplicaCount: p.minReplicas,
      maxReplicaCount: p.maxReplicas,
      pollingInterval: p.pollingIntervalSeconds,
      cooldownPeriod: p.cooldownSeconds,
      triggers: [
        {
          // Jobs waiting to be claimed: one more pod per `jobsPerReplica` waiting jobs; 0 -> 1 as
          // soon as one job waits (activationListLength 0).
          type: "redis",
          name: "bullmq-wait",
          metadata: {
            address: redisAddress(v),
            listName: bullKey(v, "wait"),
            listLength: String(p.jobsPerReplica),
            activationListLength: "0",
            databaseIndex: "0",
          },
          authenticationRef: { name: names.kedaAuth(v) },
        },
        {
          // Jobs being trained keep their pods: without this trigger KEDA would scale to zero
          // under a runner that is still training the last trial once the wait list is empty.
          type: "redis",
          name: "bullmq-active",
          metadata: {
            address: redisAddress(v),
            listName: bullKey(v, "active"),
            listLength: String(p.concurrency),
            activationListLength: "0",
            databaseIndex: "0",
          },
          authenticationRef: { name: names.kedaAuth(v) },
        },
      ],
    },
  };
  return [deployment, pdb, scaled];
}

function kedaAuth(v: Values): ITriggerAuthentication {
  return {
    apiVersion: "keda.sh/v1alpha1",
    kind: "TriggerAuthentication",
    metadata: meta(v, names.kedaAuth(v), "runner"),
    spec: { secretTargetRef: [{ parameter: "password", name: v.secrets.name, key: "REDIS_PASSWORD" }] },
  };
}

// --- migrations ------------------------------------------------------------------------------------

function migrateJob(v: Values): IJob {
  const m = v.migrations;
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: meta(v, names.migrate(v), "migrate", { annotations: { ...HOOK_ANNOTATIONS } }),
    spec: {
      backoffLimit: m.backoffLimit,
      activeDeadlineSeconds: m.activeDeadlineSeconds,
      ttlSecondsAfterFinished: 86400,
      template: {
        metadata: { labels: labels(v, "migrate") },
        spec: {
          restartPolicy: "Never",
          serviceAccountName: names.serviceAccount(v),
          automountServiceAccountToken: false,
          securityContext: podSecurity(1001),
          containers: [
            {
              name: "migrate",
              image: imageOf(m.image),
              imagePullPolicy: m.image.pullPolicy,
              // Prisma migrate deploy: applies pending migrations, never resets, safe to re-run.
              command: ["npm", "run", "db:migrate"],
              env: [
                ...commonEnv(v),
                { name: "NODE_ENV", value: "production" },
                { name: "HOME", value: "/tmp" },
              ],
              resources: resources(m.resources),
              securityContext: containerSecurity,
              volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
            },
          ],
          volumes: [tmpVolume],
        },
      },
    },
  };
}

// --- datastores ------------------------------------------------------------------------------------

function storageSpec(s: { size: string; storageClassName: string | null }): IPersistentVolumeClaimSpec {
  return {
    accessModes: ["ReadWriteOnce"],
    ...(s.storageClassName ? { storageClassName: s.storageClassName } : {}),
    resources: { requests: { storage: s.size } },
  };
}

/**
 * A single-replica datastore: a StatefulSet with one container and a `data` volume claim, and its
 * Service on the container's named port.
 */
function datastore(
  v: Values,
  component: "postgres" | "redis",
  d: {
    name: string;
    port: number;
    storage: { size: string; storageClassName: string | null };
    container: Omit<IContainer, "name" | "ports">;
    pod?: Partial<IPodSpec>;
  },
): Manifest[] {
  const sel = selectorLabels(v, component);
  const sts: IStatefulSet = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: meta(v, d.name, component),
    spec: {
      serviceName: d.name,
      replicas: 1,
      selector: { matchLabels: sel },
      template: {
        metadata: { labels: labels(v, component) },
        spec: {
          automountServiceAccountToken: false,
          securityContext: podSecurity(999),
          ...d.pod,
          containers: [
            {
              name: component,
              ...d.container,
              ports: [{ name: component, containerPort: d.port, protocol: "TCP" }],
            },
          ],
        },
      },
      volumeClaimTemplates: [{ metadata: { name: "data" }, spec: storageSpec(d.storage) }],
    },
  };
  const svc: IService = {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(v, d.name, component),
    spec: { selector: sel, ports: [{ name: component, port: d.port, targetPort: component }] },
  };
  return [sts, svc];
}

/** An exec probe every 10 s (5 s timeout, 6 failures). */
const execProbe = (script: string): IProbe => ({
  exec: { command: ["sh", "-c", script] },
  periodSeconds: 10,
  timeoutSeconds: 5,
  failureThreshold: 6,
});

function postgres(v: Values): Manifest[] {
  if (v.postgres.mode !== "internal") return [];
  const p = v.postgres;
  const pgIsReady = execProbe(`pg_isready -h 127.0.0.1 -p ${p.port} -U "$POSTGRES_USER" -d "$POSTGRES_DB"`);
  return datastore(v, "postgres", {
    name: names.postgres(v),
    port: p.port,
    storage: p.storage,
    pod: { terminationGracePeriodSeconds: 60, volumes: [{ name: "run", emptyDir: {} }] },
    container: {
      image: imageOf(p.image),
      imagePullPolicy: p.image.pullPolicy,
      env: [
        { name: "POSTGRES_USER", value: p.user },
        { name: "POSTGRES_DB", value: p.database },
        secretEnv(v, POSTGRES_SECRET_KEY),
        { name: "PGDATA", value: "/var/lib/postgresql/data/pgdata" },
      ],
      resources: resources(p.resources),
      startupProbe: { ...pgIsReady, failureThreshold: 30 },
      readinessProbe: pgIsReady,
      livenessProbe: { ...pgIsReady, periodSeconds: 30 },
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
      volumeMounts: [
        { name: "data", mountPath: "/var/lib/postgresql/data" },
        { name: "run", mountPath: "/var/run/postgresql" },
      ],
    },
  });
}

function redis(v: Values): Manifest[] {
  if (v.redis.mode !== "internal") return [];
  const r = v.redis;
  const ping = execProbe(`REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli -p ${r.port} ping | grep -q PONG`);
  return datastore(v, "redis", {
    name: names.redis(v),
    port: r.port,
    storage: r.storage,
    container: {
      image: imageOf(r.image),
      imagePullPolicy: r.image.pullPolicy,
      // BullMQ needs every key kept: AOF persistence and noeviction (never evict job keys).
      args: [
        "--appendonly",
        "yes",
        "--appendfsync",
        "everysec",
        "--maxmemory",
        r.maxmemory,
        "--maxmemory-policy",
        "noeviction",
        "--requirepass",
        "$(REDIS_PASSWORD)",
        "--port",
        String(r.port),
        "--dir",
        "/data",
      ],
      env: [secretEnv(v, "REDIS_PASSWORD")],
      resources: resources(r.resources),
      readinessProbe: ping,
      livenessProbe: { ...ping, periodSeconds: 30 },
      securityContext: containerSecurity,
      volumeMounts: [{ name: "data", mountPath: "/data" }],
    },
  });
}

function backup(v: Values): Manifest[] {
  if (!v.backup.enabled) return [];
  const b = v.backup;
  const pvc: IPersistentVolumeClaim = {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: meta(v, names.backup(v), "backup"),
    spec: storageSpec(b.storage),
  };
  const script = [
    "set -eu",
    'f="/backups/hyperensemble-$(date -u +%Y%m%dT%H%M%SZ).dump"',
    // -Fc: custom format, compressed, restorable table by table with pg_restore
    'pg_dump --format=custom --no-owner --dbname="$DATABASE_URL" --file="$f.partial"',
    'mv "$f.partial" "$f"',
    `find /backups -name 'hyperensemble-*.dump' -mtime +${b.retainDays} -delete`,
    'ls -l "$f"',
  ].join("\n");
  const cron: ICronJob = {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: meta(v, names.backup(v), "backup"),
    spec: {
      schedule: b.schedule,
      concurrencyPolicy: "Forbid",
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        spec: {
          backoffLimit: 2,
          template: {
            metadata: { labels: labels(v, "backup") },
            spec: {
              restartPolicy: "OnFailure",
              automountServiceAccountToken: false,
              securityContext: podSecurity(999),
              containers: [
                {
                  name: "pg-dump",
                  // the same major version as the server: pg_dump refuses newer servers
                  image: imageOf(v.postgres.image),
                  imagePullPolicy: v.postgres.image.pullPolicy,
                  command: ["sh", "-c", script],
                  env: [secretEnv(v, "DATABASE_URL")],
                  resources: {
                    requests: { cpu: "100m", memory: "256Mi" },
                    limits: { cpu: "1", memory: "1Gi" },
                  },
                  securityContext: containerSecurity,
                  volumeMounts: [
                    { name: "backups", mountPath: "/backups" },
                    { name: "tmp", mountPath: "/tmp" },
                  ],
                },
              ],
              volumes: [
                { name: "backups", persistentVolumeClaim: { claimName: names.backup(v) } },
                tmpVolume,
              ],
            },
          },
        },
      },
    },
  };
  return [pvc, cron];
}

// --- network policies ------------------------------------------------------------------------------

function componentSelector(v: Values, components: Component[]) {
  return {
    matchLabels: { "app.kubernetes.io/name": "hyperensemble", "app.kubernetes.io/instance": v.release },
    matchExpressions: [{ key: "app.kubernetes.io/component", operator: "In", values: [...components] }],
  };
}

function networkPolicies(v: Values): INetworkPolicy[] {
  if (!v.networkPolicies.enabled) return [];
  const np = v.networkPolicies;
  const ns = (n: string) => ({ matchLabels: { "kubernetes.io/metadata.name": n } });
  const release = { "app.kubernetes.io/name": "hyperensemble", "app.kubernetes.io/instance": v.release };
  const out: INetworkPolicy[] = [
    {
      // Nothing reaches a pod of the release unless a policy below allows it.
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: meta(v, name(v, "default-deny-ingress"), "web"),
      spec: { podSelector: { matchLabels: release }, policyTypes: ["Ingress"] },
    },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: meta(v, name(v, "web-ingress"), "web"),
      spec: {
        podSelector: { matchLabels: selectorLabels(v, "web") },
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [
              { namespaceSelector: ns(np.ingressNamespace) },
              { namespaceSelector: ns(np.monitoringNamespace) },
            ],
            ports: [{ protocol: "TCP", port: APP_ENDPOINTS.web.port }],
          },
        ],
      },
    },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: meta(v, name(v, "runner-metrics"), "runner"),
      spec: {
        podSelector: { matchLabels: { ...release, "app.kubernetes.io/component": "runner" } },
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [{ namespaceSelector: ns(np.monitoringNamespace) }],
            ports: [{ protocol: "TCP", port: APP_ENDPOINTS.runner.port }],
          },
        ],
      },
    },
  ];
  if (v.postgres.mode === "internal") {
    out.push({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: meta(v, name(v, "postgres-clients"), "postgres"),
      spec: {
        podSelector: { matchLabels: selectorLabels(v, "postgres") },
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [{ podSelector: componentSelector(v, DATASTORE_CLIENTS.postgres) }],
            ports: [{ protocol: "TCP", port: v.postgres.port }],
          },
        ],
      },
    });
  }
  if (v.redis.mode === "internal") {
    out.push({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: meta(v, name(v, "redis-clients"), "redis"),
      spec: {
        podSelector: { matchLabels: selectorLabels(v, "redis") },
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [
              { podSelector: componentSelector(v, DATASTORE_CLIENTS.redis) },
              // KEDA's operator reads the BullMQ list lengths to scale the runners.
              {
                namespaceSelector: ns(np.kedaNamespace),
                podSelector: { matchLabels: { ...np.kedaOperatorLabels } },
              },
            ],
            ports: [{ protocol: "TCP", port: v.redis.port }],
          },
        ],
      },
    });
  }
  // Managed datastores outside the cluster: every other pod of the release is denied egress to them.
  for (const store of ["postgres", "redis"] as const) {
    const cfg = v[store];
    if (cfg.mode !== "external" || cfg.externalCIDRs.length === 0) continue;
    out.push({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: meta(v, name(v, `${store}-external-deny`), store),
      spec: {
        podSelector: {
          matchLabels: release,
          matchExpressions: [
            { key: "app.kubernetes.io/component", operator: "NotIn", values: [...DATASTORE_CLIENTS[store]] },
          ],
        },
        policyTypes: ["Egress"],
        // one ipBlock with every CIDR excepted (separate peers would allow each other's ranges)
        egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [...cfg.externalCIDRs] } }] }],
      },
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------

export interface Rendered {
  /** Applied first: config, secrets, datastores, network policies. */
  base: Manifest[];
  /** The migration Job (pre-install/pre-upgrade hook): run and wait for it between base and app. */
  hooks: Manifest[];
  /** Web, runners, autoscalers, budgets, backups. */
  app: Manifest[];
}

export function render(v: Values): Rendered {
  return {
    base: [serviceAccount(v), configMap(v), ...secret(v), ...networkPolicies(v), ...postgres(v), ...redis(v)],
    hooks: [migrateJob(v)],
    app: [...web(v), kedaAuth(v), ...v.runners.pools.flatMap((p) => runnerPool(v, p)), ...backup(v)],
  };
}

export function allManifests(r: Rendered): Manifest[] {
  return [...r.base, ...r.hooks, ...r.app];
}
