// docker-compose and the Kubernetes manifests give each app exactly the environment its validated
// env schema (apps/web/src/env.ts, apps/gpu-runner/src/env.ts) understands.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadValues, valuesFiles } from "../k8s/load.ts";
import { allManifests, render } from "../k8s/render.ts";
import { type EnvSchemaKey, envSchemaKeys, INFRA } from "./helpers.ts";
import { component, podTemplates } from "./k8s.ts";

// biome-ignore lint/suspicious/noExplicitAny: documents are walked generically
type Any = any;

/** Read by libraries or the platform rather than the app's own schema. */
const PLATFORM: Record<"web" | "runner", string[]> = {
  // Next's standalone server (PORT, HOSTNAME), next-auth (AUTH_URL, AUTH_TRUST_HOST), telemetry,
  // Prisma (DATABASE_URL via packages/db), the queue package (REDIS_URL)
  web: [
    "PORT",
    "HOSTNAME",
    "AUTH_URL",
    "AUTH_TRUST_HOST",
    "NEXT_TELEMETRY_DISABLED",
    "CHECKPOINT_DISABLE",
    "LOG_LEVEL",
    "DATABASE_URL",
    "REDIS_URL",
    "NODE_ENV",
  ],
  // the NVIDIA container runtime reads NVIDIA_*; HOME points caches at the writable /tmp
  runner: [
    "DATABASE_URL",
    "REDIS_URL",
    "NODE_ENV",
    "HOME",
    "NVIDIA_VISIBLE_DEVICES",
    "NVIDIA_DRIVER_CAPABILITIES",
  ],
};

const schemas = {
  web: envSchemaKeys("apps/web/src/env.ts"),
  runner: envSchemaKeys("apps/gpu-runner/src/env.ts"),
};

/** Production must set these: unset, the apps fall back to development behaviour. */
const MUST_SET = {
  web: ["DATABASE_URL", "REDIS_URL", "AUTH_SECRET", "NODE_ENV"],
  runner: [
    "DATABASE_URL",
    "REDIS_URL",
    "RUNNER_NAME",
    "RUNNER_CONCURRENCY",
    "ENGINE_BACKEND",
    "RUNNER_HTTP_PORT",
  ],
};

function checkEnv(app: "web" | "runner", where: string, env: Record<string, string | null | undefined>) {
  const schema = schemas[app] as EnvSchemaKey[];
  const known = new Set([...schema.map((k) => k.name), ...PLATFORM[app]]);
  const unknown = Object.keys(env).filter((k) => !known.has(k));
  expect(unknown, `${where}: variables no schema reads`).toEqual([]);
  for (const k of MUST_SET[app]) expect(env[k] !== undefined, `${where}: ${k} must be set`).toBe(true);
  expect(env["HENS_ALLOW_DEV_SECRET"], `${where}: never allow the dev secret`).toBeUndefined();
  for (const k of schema.filter((x) => x.url)) {
    // an empty string is not "unset": z.url() rejects it and the app refuses to start
    const v = env[k.name];
    if (v !== undefined && v !== null)
      expect(v, `${where}: ${k.name} may expand to ""`).not.toMatch(/:-\}$|^$/);
  }
}

it("reads both apps' env schemas", () => {
  expect(schemas.web?.map((k) => k.name)).toEqual(expect.arrayContaining(["AUTH_SECRET", "DATABASE_URL"]));
  expect(schemas.runner?.map((k) => k.name)).toEqual(
    expect.arrayContaining(["RUNNER_CONCURRENCY", "ENGINE_BACKEND"]),
  );
});

describe("docker-compose", () => {
  const compose: Any = parse(readFileSync(path.join(INFRA, "docker-compose.yml"), "utf8"), { merge: true });
  it("web's environment matches apps/web/src/env.ts", () => {
    checkEnv("web", "compose web", compose.services.web.environment);
  });
  it.each(["runner-cpu", "runner-gpu"])("%s's environment matches apps/gpu-runner/src/env.ts", (s) => {
    checkEnv("runner", `compose ${s}`, compose.services[s].environment);
  });
  it("ENGINE_BACKEND values are ones the runner accepts", () => {
    expect(compose.services["runner-cpu"].environment.ENGINE_BACKEND).toBe("wasm");
    expect(compose.services["runner-gpu"].environment.ENGINE_BACKEND).toMatch(/webgpu/);
  });
});

describe.each(valuesFiles())("Kubernetes values/$env.yaml", ({ file }) => {
  const docs = allManifests(render(loadValues(file)));
  const pods = podTemplates(docs);
  const configMaps = docs.filter((d) => d.kind === "ConfigMap") as Any[];
  const envOf = (c: Any): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const ref of c.envFrom ?? []) {
      const cm = configMaps.find((m) => m.metadata.name === ref.configMapRef?.name);
      expect(cm, `configMap ${ref.configMapRef?.name}`).toBeDefined();
      Object.assign(out, cm.data);
    }
    for (const e of c.env ?? [])
      out[e.name] = e.value ?? `<from ${e.valueFrom ? Object.keys(e.valueFrom)[0] : "?"}>`;
    return out;
  };
  it("web's environment matches apps/web/src/env.ts", () => {
    for (const p of pods.filter((x) => component(x) === "web"))
      checkEnv("web", "k8s web", envOf(p.spec.containers[0]));
  });
  it("runners' environment matches apps/gpu-runner/src/env.ts", () => {
    const runners = pods.filter((x) => component(x) === "runner");
    expect(runners.length).toBeGreaterThan(0);
    for (const p of runners) {
      const env = envOf(p.spec.containers[0]);
      checkEnv("runner", `k8s ${p.owner.metadata?.name}`, env);
      expect(["tensorflow", "webgpu", "wasm", "cpu"]).toContain(env["ENGINE_BACKEND"]);
    }
  });
});
