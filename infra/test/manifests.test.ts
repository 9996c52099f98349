import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { loadValues, RENDERED_DIR, valuesFiles } from "../k8s/load.ts";
import {
  APP_ENDPOINTS,
  allManifests,
  bullKey,
  DATASTORE_CLIENTS,
  type Manifest,
  OPTIONAL_APP_SECRET_KEYS,
  POSTGRES_SECRET_KEY,
  REQUIRED_SECRET_KEYS,
  render,
} from "../k8s/render.ts";
import { checkValues, defaults, mergeValues, type Values } from "../k8s/values.ts";
import { toYamlFiles } from "../k8s/yaml.ts";
import { read, tsFiles } from "./helpers.ts";
import {
  component,
  envNames,
  envValue,
  type LabelSelector,
  matches,
  type PodTemplate,
  podTemplates,
  resolvePort,
  schemaErrors,
} from "./k8s.ts";

// biome-ignore lint/suspicious/noExplicitAny: rendered objects are walked generically
type Any = any;

const envs = valuesFiles();

function committed(env: string): { file: string; docs: Manifest[] }[] {
  const dir = path.join(RENDERED_DIR, env);
  return ["00-base.yaml", "10-migrate-hook.yaml", "20-app.yaml"].map((file) => {
    const parsed = parseAllDocuments(readFileSync(path.join(dir, file), "utf8"));
    for (const d of parsed) if (d.errors.length) throw new Error(`${env}/${file}: ${d.errors[0]?.message}`);
    return { file, docs: parsed.map((d) => d.toJS() as Manifest).filter(Boolean) };
  });
}

function byKind(docs: Manifest[], kind: string): Any[] {
  return docs.filter((d) => d.kind === kind);
}

function containers(p: PodTemplate): Any[] {
  return [...(p.spec.initContainers ?? []), ...(p.spec.containers ?? [])];
}

it("finds the production and small-cluster values files", () => {
  expect(envs.map((e) => e.env)).toEqual(expect.arrayContaining(["production", "small"]));
});

describe.each(envs)("values/$env.yaml", ({ env, file }) => {
  const values: Values = loadValues(file);
  const rendered = render(values);
  const docs = allManifests(rendered);
  const pods = podTemplates(docs);
  const ofComponent = (c: string) => pods.filter((p) => component(p) === c);

  it("committed rendered YAML is up to date with the generator", () => {
    const fresh = toYamlFiles(rendered, file);
    for (const [name, text] of Object.entries(fresh)) {
      const onDisk = readFileSync(path.join(RENDERED_DIR, env, name), "utf8");
      expect(onDisk, `infra/k8s/rendered/${env}/${name} is stale: run npx tsx infra/k8s/cli.ts`).toBe(text);
    }
  });

  it("every committed manifest parses and validates against the Kubernetes / KEDA schemas", async () => {
    const files = committed(env);
    const all = files.flatMap((f) => f.docs);
    expect(all.length).toBe(docs.length);
    const problems: string[] = [];
    for (const d of all) {
      const err = await schemaErrors(d as Any);
      if (err) problems.push(`${d.kind}/${d.metadata?.name}: ${err}`);
    }
    expect(problems).toEqual([]);
  });

  it("schema validation does catch a broken manifest (the check is live)", async () => {
    const web = structuredClone(byKind(docs, "Deployment")[0]);
    web.spec.template.spec.containers[0].ports[0].containerPort = "three thousand";
    expect(await schemaErrors(web)).toMatch(/containerPort/);
    const so = structuredClone(byKind(docs, "ScaledObject")[0]);
    delete so.spec.scaleTargetRef;
    expect(await schemaErrors(so)).toMatch(/scaleTargetRef/);
  });

  it("every object has a unique kind/name in the release namespace", () => {
    const seen = new Set<string>();
    for (const d of docs) {
      expect(d.metadata?.namespace).toBe(values.namespace);
      const key = `${d.kind}/${d.metadata?.name}`;
      expect(seen.has(key), key).toBe(false);
      seen.add(key);
    }
  });

  it("every container has cpu/memory requests and limits, and pinned images", () => {
    for (const p of pods) {
      for (const c of containers(p)) {
        const where = `${p.owner.metadata?.name}/${c.name}`;
        for (const side of ["requests", "limits"])
          for (const r of ["cpu", "memory"])
            expect(c.resources?.[side]?.[r], `${where} ${side}.${r}`).toBeTruthy();
        expect(c.image, where).toMatch(/^[^:@]+(:[\w.-]+|@sha256:[0-9a-f]{64})$/);
        expect(c.image, where).not.toMatch(/:latest$/);
      }
    }
  });

  it("every long-running container has readiness and liveness probes on ports it exposes", () => {
    for (const p of pods) {
      if (p.owner.kind === "Job" || p.owner.kind === "CronJob") continue;
      for (const c of p.spec.containers) {
        const where = `${p.owner.metadata?.name}/${c.name}`;
        for (const probe of ["readinessProbe", "livenessProbe"]) {
          expect(c[probe], `${where} ${probe}`).toBeDefined();
          const port = c[probe].httpGet?.port ?? c[probe].tcpSocket?.port;
          if (port !== undefined)
            expect(resolvePort(c, port), `${where} ${probe} port ${port}`).toBeDefined();
        }
      }
    }
  });

  it("web probes hit the endpoints the web app serves", () => {
    const webPods = ofComponent("web");
    expect(webPods).toHaveLength(1);
    const c = (webPods[0] as PodTemplate).spec.containers[0];
    expect(resolvePort(c, "http")).toBe(APP_ENDPOINTS.web.port);
    expect(c.readinessProbe.httpGet.path).toBe("/api/health");
    expect(resolvePort(c, c.readinessProbe.httpGet.port)).toBe(3000);
    // Liveness: no database and no credentials (the metrics route needs HENS_METRICS_TOKEN).
    expect(c.livenessProbe.httpGet.path).toBe("/api/health/live");
    expect(resolvePort(c, c.livenessProbe.httpGet.port)).toBe(3000);
    expect(envValue(c, "PORT")).toBe("3000");
  });

  it("runner probes hit /healthz on RUNNER_HTTP_PORT", () => {
    const runners = ofComponent("runner");
    expect(runners.length).toBe(values.runners.pools.length);
    for (const p of runners) {
      const c = p.spec.containers[0];
      const port = Number(envValue(c, "RUNNER_HTTP_PORT"));
      expect(port).toBe(APP_ENDPOINTS.runner.port);
      for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
        expect(c[probe].httpGet.path).toBe("/healthz");
        expect(resolvePort(c, c[probe].httpGet.port)).toBe(port);
      }
    }
  });

  it("the runner's own shutdown deadline fits in the pod's termination grace period", () => {
    for (const p of ofComponent("runner")) {
      const c = p.spec.containers[0];
      const graceMs = Number(envValue(c, "SHUTDOWN_GRACE_MS"));
      expect(graceMs).toBeGreaterThan(0);
      expect(graceMs).toBeLessThan(p.spec.terminationGracePeriodSeconds * 1000 - 10_000);
    }
  });

  it("Prometheus scrape annotations point at each pod's metrics endpoint", () => {
    const expected: Record<string, { port: number; path: string }> = {
      web: { port: 3000, path: "/api/metrics" },
      runner: { port: 9464, path: "/metrics" },
    };
    for (const p of pods) {
      const want = expected[component(p)];
      if (!want) continue;
      expect(p.annotations["prometheus.io/scrape"]).toBe("true");
      expect(Number(p.annotations["prometheus.io/port"])).toBe(want.port);
      expect(p.annotations["prometheus.io/path"]).toBe(want.path);
      const ports = p.spec.containers.flatMap((c: Any) => (c.ports ?? []).map((x: Any) => x.containerPort));
      expect(ports).toContain(want.port);
    }
  });

  it("GPU pools request nvidia.com/gpu and expose Vulkan to the container; CPU pools do not", () => {
    for (const pool of values.runners.pools) {
      const p = ofComponent("runner").find((x) => x.labels["hyperensemble.io/runner-pool"] === pool.name);
      expect(p, pool.name).toBeDefined();
      const c = (p as PodTemplate).spec.containers[0];
      if (pool.gpus > 0) {
        expect(c.resources.limits["nvidia.com/gpu"]).toBe(String(pool.gpus));
        expect(Number(c.resources.limits["nvidia.com/gpu"])).toBeGreaterThanOrEqual(1);
        expect(envValue(c, "NVIDIA_DRIVER_CAPABILITIES")?.split(",")).toEqual(
          expect.arrayContaining(["compute", "utility", "graphics"]),
        );
        expect((p as PodTemplate).spec.tolerations?.some((t: Any) => t.key === "nvidia.com/gpu")).toBe(true);
      } else {
        expect(c.resources.limits["nvidia.com/gpu"]).toBeUndefined();
        expect(c.resources.requests["nvidia.com/gpu"]).toBeUndefined();
      }
      expect(envValue(c, "ENGINE_BACKEND")).toBe(pool.engineBackend);
      expect(envValue(c, "RUNNER_CONCURRENCY")).toBe(String(pool.concurrency));
    }
    if (env === "production") expect(values.runners.pools.some((p) => p.gpus > 0)).toBe(true);
  });

  it("each runner pool has a KEDA ScaledObject on the BullMQ wait list of the queue the runners consume", () => {
    const scaled = byKind(docs, "ScaledObject");
    const deployments = byKind(docs, "Deployment");
    const auths = byKind(docs, "TriggerAuthentication");
    const redisSvc = byKind(docs, "Service").find(
      (s) => s.metadata.labels["app.kubernetes.io/component"] === "redis",
    );
    expect(scaled).toHaveLength(values.runners.pools.length);
    for (const so of scaled) {
      const target = deployments.find((d) => d.metadata.name === so.spec.scaleTargetRef.name);
      expect(target, so.spec.scaleTargetRef.name).toBeDefined();
      expect(target.spec.template.metadata.labels["app.kubernetes.io/component"]).toBe("runner");
      expect(target.spec.replicas, "KEDA owns the replica count").toBeUndefined();
      expect(so.spec.minReplicaCount).toBe(0);
      expect(so.spec.maxReplicaCount).toBeGreaterThanOrEqual(1);
      const wait = so.spec.triggers.find((t: Any) => t.metadata.listName === "bull:trials:wait");
      expect(wait, "a trigger on bull:trials:wait").toBeDefined();
      expect(wait.type).toBe("redis");
      expect(Number(wait.metadata.listLength)).toBeGreaterThanOrEqual(1);
      expect(wait.metadata.listName).toBe(bullKey(values, "wait"));
      for (const t of so.spec.triggers) {
        expect(t.type).toBe("redis");
        expect(t.metadata.listName).toMatch(/^bull:trials:(wait|active)$/);
        const auth = auths.find((a) => a.metadata.name === t.authenticationRef.name);
        expect(auth, "TriggerAuthentication").toBeDefined();
        for (const ref of auth.spec.secretTargetRef) {
          expect(ref.name).toBe(values.secrets.name);
          expect(REQUIRED_SECRET_KEYS as readonly string[]).toContain(ref.key);
        }
        if (values.redis.mode === "internal") {
          const [host, port] = t.metadata.address.split(":");
          expect(host.split(".")[0]).toBe(redisSvc.metadata.name);
          expect(host.split(".")[1]).toBe(values.namespace);
          expect(Number(port)).toBe(redisSvc.spec.ports[0].port);
        }
      }
      // an active-list trigger keeps a pod that is still training when the wait list is empty
      expect(so.spec.triggers.some((t: Any) => t.metadata.listName === bullKey(values, "active"))).toBe(true);
    }
  });

  it("Services, Ingress, HPA and PDBs select pods and ports that exist", () => {
    const services = byKind(docs, "Service");
    for (const s of services) {
      const selected = pods.filter((p) => matches({ matchLabels: s.spec.selector }, p.labels));
      expect(selected.length, `Service ${s.metadata.name}`).toBeGreaterThan(0);
      for (const port of s.spec.ports)
        for (const p of selected)
          expect(
            p.spec.containers.some((c: Any) => resolvePort(c, port.targetPort) !== undefined),
            `${s.metadata.name} targetPort ${port.targetPort}`,
          ).toBe(true);
    }
    for (const ing of byKind(docs, "Ingress"))
      for (const rule of ing.spec.rules)
        for (const p of rule.http.paths) {
          const svc = services.find((s) => s.metadata.name === p.backend.service.name);
          expect(svc, p.backend.service.name).toBeDefined();
          expect(svc.spec.ports.map((x: Any) => x.name)).toContain(p.backend.service.port.name);
        }
    for (const hpa of byKind(docs, "HorizontalPodAutoscaler")) {
      const t = byKind(docs, hpa.spec.scaleTargetRef.kind).find(
        (d) => d.metadata.name === hpa.spec.scaleTargetRef.name,
      );
      expect(t, hpa.spec.scaleTargetRef.name).toBeDefined();
      expect(hpa.spec.minReplicas).toBeLessThanOrEqual(hpa.spec.maxReplicas);
    }
    const pdbs = byKind(docs, "PodDisruptionBudget");
    expect(pdbs.map((p) => p.metadata.name)).toEqual(
      expect.arrayContaining(
        ["web", ...values.runners.pools.map((p) => `runner-${p.name}`)].map((n) => `${values.release}-${n}`),
      ),
    );
    for (const pdb of pdbs) {
      const selected = pods.filter((p) => matches(pdb.spec.selector, p.labels));
      expect(selected.length, `PDB ${pdb.metadata.name}`).toBe(1);
    }
  });

  it("the migrations Job runs db:migrate as a pre-install/pre-upgrade hook, before the app", () => {
    expect(rendered.hooks.map((d) => d.kind)).toEqual(["Job"]);
    const job = rendered.hooks[0] as Any;
    expect(job.metadata.annotations["helm.sh/hook"].split(",")).toEqual(["pre-install", "pre-upgrade"]);
    expect(job.metadata.annotations["argocd.argoproj.io/hook"]).toBe("PreSync");
    const c = job.spec.template.spec.containers[0];
    expect(c.command.join(" ")).toBe("npm run db:migrate");
    expect(envNames(c)).toContain("DATABASE_URL");
    expect(job.spec.template.spec.restartPolicy).toBe("Never");
    expect(rendered.app.some((d) => d.kind === "Job")).toBe(false);
    expect(read("package.json")).toMatch(/"db:migrate"\s*:/);
  });

  it("secret references name keys the Secret provides", () => {
    const secrets = byKind(docs, "Secret");
    expect(secrets.length).toBe(values.secrets.create ? 1 : 0);
    const allowed = new Set<string>([
      ...REQUIRED_SECRET_KEYS,
      POSTGRES_SECRET_KEY,
      ...OPTIONAL_APP_SECRET_KEYS,
      ...values.secrets.optionalKeys,
    ]);
    const provided = secrets[0] ? new Set(Object.keys(secrets[0].stringData)) : undefined;
    for (const p of pods)
      for (const c of containers(p))
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef;
          if (!ref) continue;
          expect(ref.name).toBe(values.secrets.name);
          expect(allowed.has(ref.key), ref.key).toBe(true);
          if (provided && !ref.optional) expect(provided.has(ref.key), `Secret lacks ${ref.key}`).toBe(true);
        }
    if (secrets[0]) {
      // placeholders only: no real credential is ever committed
      for (const v of Object.values(secrets[0].stringData) as string[]) expect(v).toMatch(/CHANGE_ME/);
    }
  });

  it("web and runners get DATABASE_URL and REDIS_URL; production settings are not left to defaults", () => {
    for (const p of [...ofComponent("web"), ...ofComponent("runner")]) {
      const c = p.spec.containers[0];
      expect(envNames(c)).toEqual(expect.arrayContaining(["DATABASE_URL", "REDIS_URL"]));
      expect(envNames(c)).not.toContain("HENS_ALLOW_DEV_SECRET");
    }
    const web = (ofComponent("web")[0] as PodTemplate).spec.containers[0];
    expect(envNames(web)).toContain("AUTH_SECRET");
    const cm = byKind(docs, "ConfigMap")[0];
    expect(cm.data.NODE_ENV).toBe("production");
    expect(web.envFrom[0].configMapRef.name).toBe(cm.metadata.name);
  });

  it("pods run as non-root without privilege escalation", () => {
    for (const p of pods) {
      expect(p.spec.securityContext?.runAsNonRoot, p.owner.metadata?.name).toBe(true);
      for (const c of containers(p)) expect(c.securityContext?.allowPrivilegeEscalation).toBe(false);
    }
  });

  it("Redis keeps every BullMQ key: AOF on, maxmemory-policy noeviction", () => {
    const sts = byKind(docs, "StatefulSet").find(
      (s) => s.metadata.labels["app.kubernetes.io/component"] === "redis",
    );
    if (values.redis.mode !== "internal") return expect(sts).toBeUndefined();
    const args: string[] = sts.spec.template.spec.containers[0].args;
    const flag = (f: string) => args[args.indexOf(f) + 1];
    expect(flag("--appendonly")).toBe("yes");
    expect(flag("--maxmemory-policy")).toBe("noeviction");
  });

  describe("NetworkPolicies", () => {
    const policies = byKind(docs, "NetworkPolicy");
    const inRelease = (sel: LabelSelector) => pods.filter((p) => matches(sel, p.labels));

    it("every policy selects at least one pod of the release", () => {
      expect(policies.length).toBeGreaterThan(0);
      for (const np of policies)
        expect(inRelease(np.spec.podSelector).length, np.metadata.name).toBeGreaterThan(0);
    });

    /** Components whose pods (in this namespace) a datastore's ingress policies admit. */
    function admitted(store: "postgres" | "redis"): Set<string> {
      const storePods = ofComponent(store);
      const ok = new Set<string>();
      for (const np of policies) {
        if (!storePods.some((p) => matches(np.spec.podSelector, p.labels))) continue;
        for (const rule of np.spec.ingress ?? []) {
          // the rule's port must be the one the datastore listens on
          const listen = storePods[0]?.spec.containers[0].ports[0].containerPort;
          expect(
            rule.ports.map((x: Any) => x.port),
            np.metadata.name,
          ).toEqual([listen]);
          for (const peer of rule.from ?? []) {
            if (peer.namespaceSelector || peer.ipBlock) continue; // other namespaces (KEDA)
            for (const p of inRelease(peer.podSelector)) ok.add(component(p));
          }
        }
      }
      return ok;
    }

    it("only web and runners (plus migrations/backups for Postgres) reach the in-cluster datastores", () => {
      for (const store of ["postgres", "redis"] as const) {
        if (values[store].mode !== "internal") continue;
        const ok = admitted(store);
        expect([...ok].sort()).toEqual(
          [...DATASTORE_CLIENTS[store]].filter((c) => ofComponent(c).length > 0).sort(),
        );
        expect(ok.has("web") && ok.has("runner")).toBe(true);
        // a default-deny policy also selects the datastore (nothing else gets in)
        expect(
          policies.some(
            (np) => !np.spec.ingress && matches(np.spec.podSelector, ofComponent(store)[0]?.labels ?? {}),
          ),
        ).toBe(true);
      }
    });

    it("every pod that connects to a datastore is admitted by its policy", () => {
      for (const p of pods) {
        const names = containers(p).flatMap(envNames);
        if (values.postgres.mode === "internal" && names.includes("DATABASE_URL"))
          expect(admitted("postgres").has(component(p)), component(p)).toBe(true);
        if (values.redis.mode === "internal" && names.includes("REDIS_URL"))
          expect(admitted("redis").has(component(p)), component(p)).toBe(true);
      }
    });

    it("KEDA's operator may read Redis (it scales the runners on the list length)", () => {
      if (values.redis.mode !== "internal") return;
      const np = policies.find((x) => x.metadata.name === `${values.release}-redis-clients`);
      const peers = np.spec.ingress.flatMap((r: Any) => r.from);
      expect(
        peers.some(
          (p: Any) =>
            p.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] ===
            values.networkPolicies.kedaNamespace,
        ),
      ).toBe(true);
    });

    it("an external datastore's CIDRs are denied to every other pod of the release", () => {
      for (const store of ["postgres", "redis"] as const) {
        if (values[store].mode !== "external") continue;
        const np = policies.find((x) => x.metadata.name === `${values.release}-${store}-external-deny`);
        expect(np, `${store}-external-deny`).toBeDefined();
        const denied = inRelease(np.spec.podSelector).map(component);
        for (const c of DATASTORE_CLIENTS[store]) expect(denied).not.toContain(c);
        expect(denied.length).toBeGreaterThan(0);
        const except = np.spec.egress.flatMap((r: Any) => r.to.map((t: Any) => t.ipBlock.except)).flat();
        expect(except).toEqual(values[store].externalCIDRs);
        expect(np.spec.egress[0].to).toHaveLength(1);
      }
    });
  });
});

describe("the queue the runners consume", () => {
  it("values.queue matches the queue name and prefix in the queue package (when it defines them)", () => {
    const src = tsFiles("packages/queue/src")
      .filter((f) => !/\.test\.ts$/.test(f))
      .map((f) => readFileSync(f, "utf8"))
      .join("\n");
    const name = /(?:QUEUE_NAME|TRIAL_QUEUE\w*|queueName|QUEUE)\s*[:=]\s*["'`]([\w-]+)["'`]/.exec(src)?.[1];
    // e.g. `const prefix = options.namespace ?? "bull";`
    const prefix = /\bprefix\s*[:=][^;\n]*?["'`]([\w-]+)["'`]/.exec(src)?.[1];
    if (name) expect(name).toBe(defaults.queue.name);
    if (prefix) expect(prefix).toBe(defaults.queue.prefix);
    // packages/queue defines them today: keep the check from silently passing on a rename
    if (src.includes("TRIAL_QUEUE_NAME")) expect(name && prefix).toBeTruthy();
    expect(bullKey(defaults, "wait")).toBe("bull:trials:wait");
  });
});

describe("values checks", () => {
  const base = () => structuredClone(defaults);
  it("accepts the defaults", () => {
    expect(() => checkValues(base())).not.toThrow();
  });
  it("rejects an unknown setting (a typo in a values file)", () => {
    expect(() => mergeValues(base(), { web: { replica: 3 } })).toThrow(/web\.replica: unknown setting/);
  });
  it("rejects unpinned images", () => {
    const v = base();
    v.web.image.tag = "latest";
    expect(() => checkValues(v)).toThrow(/web\.image\.tag must be a pinned version/);
  });
  it("rejects a GPU pool without nvidia.com/gpu and a CPU pool on the tensorflow backend", () => {
    const v = base();
    const pool = v.runners.pools[0] as Values["runners"]["pools"][number];
    delete pool.resources.limits["nvidia.com/gpu"];
    expect(() => checkValues(v)).toThrow(/nvidia\.com\/gpu/);
    const w = base();
    const cpu = w.runners.pools[0] as Values["runners"]["pools"][number];
    cpu.gpus = 0;
    cpu.resources = { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } };
    expect(() => checkValues(w)).toThrow(/tensorflow backend/);
  });
  it("rejects a web PDB that would block every node drain", () => {
    const v = base();
    v.web.pdb.minAvailable = v.web.hpa.minReplicas;
    expect(() => checkValues(v)).toThrow(/never be drained/);
  });
});
