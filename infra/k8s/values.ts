// Values for the HyperEnsemble Kubernetes manifests: the role a Helm chart's values.yaml plays.
// `defaults` holds every setting; a values file (values/*.yaml) overrides any subset of it and is
// deep-merged on top (arrays replace, objects merge), then checked by `checkValues`.

export interface Resources {
  requests: { cpu: string; memory: string; "nvidia.com/gpu"?: string };
  limits: { cpu: string; memory: string; "nvidia.com/gpu"?: string };
}

export interface ImageRef {
  repository: string;
  /** A version tag; `digest` (sha256:...) wins when set. `latest` is refused. */
  tag: string;
  digest: string | null;
  pullPolicy: "IfNotPresent" | "Always" | "Never";
}

export interface RunnerPool {
  /** Suffix of the Deployment name: `<release>-runner-<name>`. */
  name: string;
  image: ImageRef;
  /** GPUs per pod (nvidia.com/gpu). 0 for a CPU pool. */
  gpus: number;
  engineBackend: "tensorflow" | "webgpu" | "wasm" | "cpu";
  /** Trials one pod trains at once (RUNNER_CONCURRENCY). */
  concurrency: number;
  minReplicas: number;
  maxReplicas: number;
  /** KEDA: waiting jobs per runner pod before another pod is added. */
  jobsPerReplica: number;
  /** KEDA: seconds without work before scaling back down (to zero). */
  cooldownSeconds: number;
  pollingIntervalSeconds: number;
  /** Seconds the runner gets on SIGTERM to hand its trial back before SIGKILL. */
  terminationGracePeriodSeconds: number;
  resources: Resources;
  nodeSelector: Record<string, string>;
  tolerations: {
    key: string;
    operator: "Exists" | "Equal";
    value?: string;
    effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
  }[];
  /** e.g. "nvidia" where the GPU operator installs a RuntimeClass; null to use the node default. */
  runtimeClassName: string | null;
}

export interface Values {
  release: string;
  namespace: string;
  /** Non-secret settings shared by web and runners. */
  config: { authUrl: string; logLevel: string };
  secrets: {
    /** Name of the Secret holding DATABASE_URL, REDIS_URL, REDIS_PASSWORD, AUTH_SECRET (+ OIDC keys). */
    name: string;
    /**
     * true: render a Secret with placeholder values (replace before applying, see docs/operations.md).
     * false: the Secret is created out of band (kubectl, External Secrets, Sealed Secrets).
     */
    create: boolean;
    /** Optional OIDC keys looked up in the same Secret (missing keys are allowed: optional refs). */
    optionalKeys: string[];
  };
  queue: {
    /** BullMQ queue the runners consume (apps/gpu-runner, packages/queue). */
    name: string;
    /** BullMQ key prefix (default "bull"). */
    prefix: string;
  };
  web: {
    image: ImageRef;
    replicas: number;
    hpa: { enabled: boolean; minReplicas: number; maxReplicas: number; targetCPUUtilization: number };
    /** Exactly one of the two is set (the other null). */
    pdb: { minAvailable: number | null; maxUnavailable: number | null };
    resources: Resources;
    ingress: {
      enabled: boolean;
      className: string;
      host: string;
      tlsSecretName: string | null;
      annotations: Record<string, string>;
    };
  };
  runners: { pools: RunnerPool[] };
  migrations: { image: ImageRef; backoffLimit: number; activeDeadlineSeconds: number; resources: Resources };
  postgres: {
    /** internal: a StatefulSet in the release; external: a managed service reached through DATABASE_URL. */
    mode: "internal" | "external";
    image: ImageRef;
    database: string;
    user: string;
    storage: { size: string; storageClassName: string | null };
    resources: Resources;
    /** external mode: CIDRs of the managed database, denied to every other pod of the release. */
    externalCIDRs: string[];
    port: number;
  };
  redis: {
    mode: "internal" | "external";
    image: ImageRef;
    /** Redis `maxmemory`; the policy is always noeviction (BullMQ must never lose keys). */
    maxmemory: string;
    storage: { size: string; storageClassName: string | null };
    resources: Resources;
    /** host:port for KEDA's redis scaler (external mode); internal mode derives it. */
    address: string | null;
    externalCIDRs: string[];
    port: number;
  };
  backup: {
    enabled: boolean;
    /** cron schedule of the pg_dump CronJob */
    schedule: string;
    retainDays: number;
    storage: { size: string; storageClassName: string | null };
  };
  networkPolicies: {
    enabled: boolean;
    /** namespace of the ingress controller (traffic to web:3000) */
    ingressNamespace: string;
    /** namespace of Prometheus (scrapes web and runners) */
    monitoringNamespace: string;
    /** namespace and pod label of KEDA's operator (reads the queue length from Redis) */
    kedaNamespace: string;
    kedaOperatorLabels: Record<string, string>;
  };
}

const NODE_TAG = "0.1.0";

export const defaults: Values = {
  release: "hyperensemble",
  namespace: "hyperensemble",
  config: { authUrl: "https://hyperensemble.example.org", logLevel: "info" },
  secrets: {
    name: "hyperensemble-secrets",
    create: true,
    optionalKeys: [
      "AUTH_GITHUB_ID",
      "AUTH_GITHUB_SECRET",
      "AUTH_GITLAB_ID",
      "AUTH_GITLAB_SECRET",
      "AUTH_OIDC_ISSUER",
      "AUTH_OIDC_ID",
      "AUTH_OIDC_SECRET",
      "AUTH_OIDC_NAME",
    ],
  },
  queue: { name: "trials", prefix: "bull" },
  web: {
    image: {
      repository: "ghcr.io/hyperensemble/web",
      tag: NODE_TAG,
      digest: null,
      pullPolicy: "IfNotPresent",
    },
    replicas: 2,
    hpa: { enabled: true, minReplicas: 2, maxReplicas: 6, targetCPUUtilization: 70 },
    pdb: { minAvailable: 1, maxUnavailable: null },
    resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } },
    ingress: {
      enabled: true,
      className: "nginx",
      host: "hyperensemble.example.org",
      tlsSecretName: "hyperensemble-tls",
      annotations: { "nginx.ingress.kubernetes.io/proxy-body-size": "64m" },
    },
  },
  runners: {
    pools: [
      {
        name: "gpu",
        image: {
          repository: "ghcr.io/hyperensemble/gpu-runner",
          tag: NODE_TAG,
          digest: null,
          pullPolicy: "IfNotPresent",
        },
        gpus: 1,
        engineBackend: "tensorflow",
        concurrency: 1,
        minReplicas: 0,
        maxReplicas: 4,
        jobsPerReplica: 1,
        cooldownSeconds: 300,
        pollingIntervalSeconds: 15,
        terminationGracePeriodSeconds: 120,
        resources: {
          requests: { cpu: "2", memory: "8Gi", "nvidia.com/gpu": "1" },
          limits: { cpu: "4", memory: "16Gi", "nvidia.com/gpu": "1" },
        },
        nodeSelector: { "nvidia.com/gpu.present": "true" },
        tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
        runtimeClassName: null,
      },
    ],
  },
  migrations: {
    image: {
      repository: "ghcr.io/hyperensemble/migrate",
      tag: NODE_TAG,
      digest: null,
      pullPolicy: "IfNotPresent",
    },
    backoffLimit: 4,
    activeDeadlineSeconds: 900,
    resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "768Mi" } },
  },
  postgres: {
    mode: "internal",
    image: {
      repository: "docker.io/library/postgres",
      tag: "17.6-bookworm",
      digest: null,
      pullPolicy: "IfNotPresent",
    },
    database: "hyperensemble",
    user: "hyperensemble",
    storage: { size: "20Gi", storageClassName: null },
    resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "2", memory: "2Gi" } },
    externalCIDRs: [],
    port: 5432,
  },
  redis: {
    mode: "internal",
    image: {
      repository: "docker.io/library/redis",
      tag: "7.4.6-bookworm",
      digest: null,
      pullPolicy: "IfNotPresent",
    },
    maxmemory: "768mb",
    storage: { size: "5Gi", storageClassName: null },
    resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } },
    address: null,
    externalCIDRs: [],
    port: 6379,
  },
  backup: {
    enabled: true,
    schedule: "17 3 * * *",
    retainDays: 14,
    storage: { size: "50Gi", storageClassName: null },
  },
  networkPolicies: {
    enabled: true,
    ingressNamespace: "ingress-nginx",
    monitoringNamespace: "monitoring",
    kedaNamespace: "keda",
    kedaOperatorLabels: { app: "keda-operator" },
  },
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Free-form maps: a values file gives the whole map (it replaces the default). */
const FREE_FORM = new Set(["annotations", "nodeSelector", "kedaOperatorLabels"]);

/**
 * Deep merge: objects merge key by key, arrays, free-form maps and scalars replace.
 * Unknown keys are an error (a typo in a values file must not be silently ignored).
 */
export function mergeValues<T>(base: T, override: unknown, path = "values"): T {
  if (override === undefined) return base;
  if (!isObject(base) || !isObject(override)) return override as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(override)) {
    if (!(k in base)) throw new Error(`${path}.${k}: unknown setting`);
    const b = (base as Record<string, unknown>)[k];
    // nullable settings (storageClassName, digest...) accept any override
    out[k] = b === null || b === undefined || FREE_FORM.has(k) ? v : mergeValues(b, v, `${path}.${k}`);
  }
  return out as T;
}

const QUANTITY = /^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti)?$/;

/** Checks that a chart would do in its values.schema.json; throws with every problem found. */
export function checkValues(v: Values): Values {
  const problems: string[] = [];
  const image = (where: string, i: ImageRef) => {
    if (!i.repository) problems.push(`${where}.repository is empty`);
    if (i.digest !== null && i.digest !== undefined && !/^sha256:[0-9a-f]{64}$/.test(i.digest))
      problems.push(`${where}.digest must be sha256:<64 hex>`);
    if (!i.digest && (!i.tag || i.tag === "latest")) problems.push(`${where}.tag must be a pinned version`);
  };
  const resources = (where: string, r: Resources) => {
    for (const side of ["requests", "limits"] as const)
      for (const key of ["cpu", "memory"] as const)
        if (!QUANTITY.test(r[side][key] ?? "")) problems.push(`${where}.${side}.${key} is not a quantity`);
  };
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v.release)) problems.push("release must be a DNS label");
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v.namespace)) problems.push("namespace must be a DNS label");
  image("web.image", v.web.image);
  resources("web.resources", v.web.resources);
  if (v.web.hpa.enabled && v.web.hpa.minReplicas > v.web.hpa.maxReplicas)
    problems.push("web.hpa.minReplicas > maxReplicas");
  if ((v.web.pdb.minAvailable === null) === (v.web.pdb.maxUnavailable === null))
    problems.push("web.pdb: set exactly one of minAvailable, maxUnavailable");
  if (v.web.pdb.minAvailable !== null) {
    const floor = v.web.hpa.enabled ? v.web.hpa.minReplicas : v.web.replicas;
    if (v.web.pdb.minAvailable >= floor)
      problems.push("web.pdb.minAvailable must be below the replica floor or nodes can never be drained");
  }
  if (v.web.ingress.enabled && !v.web.ingress.host) problems.push("web.ingress.host is empty");
  if (v.runners.pools.length === 0) problems.push("runners.pools is empty");
  const names = new Set<string>();
  for (const [i, p] of v.runners.pools.entries()) {
    const w = `runners.pools[${i}]`;
    if (names.has(p.name)) problems.push(`${w}.name duplicates ${p.name}`);
    names.add(p.name);
    image(`${w}.image`, p.image);
    resources(`${w}.resources`, p.resources);
    if (p.minReplicas < 0 || p.maxReplicas < 1 || p.minReplicas > p.maxReplicas)
      problems.push(`${w}: need 0 <= minReplicas <= maxReplicas, maxReplicas >= 1`);
    if (p.concurrency < 1) problems.push(`${w}.concurrency must be >= 1`);
    if (p.jobsPerReplica < 1) problems.push(`${w}.jobsPerReplica must be >= 1`);
    if (p.terminationGracePeriodSeconds < 60)
      problems.push(`${w}.terminationGracePeriodSeconds must be >= 60 (trial hand-back + shutdown)`);
    const gpuReq = p.resources.requests["nvidia.com/gpu"];
    const gpuLim = p.resources.limits["nvidia.com/gpu"];
    if (p.gpus > 0 && (gpuLim !== String(p.gpus) || gpuReq !== String(p.gpus)))
      problems.push(`${w}: gpus=${p.gpus} needs resources requests and limits nvidia.com/gpu: "${p.gpus}"`);
    if (p.gpus === 0 && (gpuReq || gpuLim)) problems.push(`${w}: a CPU pool must not request nvidia.com/gpu`);
    if (p.gpus === 0 && p.engineBackend === "tensorflow")
      problems.push(`${w}: the tensorflow backend (tfjs-node-gpu) needs a GPU pool`);
  }
  image("migrations.image", v.migrations.image);
  resources("migrations.resources", v.migrations.resources);
  image("postgres.image", v.postgres.image);
  image("redis.image", v.redis.image);
  if (v.postgres.mode === "external" && v.postgres.externalCIDRs.length === 0 && v.networkPolicies.enabled)
    problems.push("postgres.externalCIDRs: list the managed database's CIDRs so other pods can be denied");
  if (v.redis.mode === "external" && !v.redis.address)
    problems.push("redis.address (host:port) is required in external mode for KEDA's scaler");
  if (!/^[a-z0-9][a-z0-9-]*$/.test(v.queue.name)) problems.push("queue.name is not a BullMQ queue name");
  if (problems.length > 0) throw new Error(`invalid values:\n  - ${problems.join("\n  - ")}`);
  return v;
}
