import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { DockerfileParser, type Instruction } from "dockerfile-ast";
import { validate } from "dockerfile-utils";
import { describe, expect, it } from "vitest";
import { exists, INFRA, ROOT, read, readJson } from "./helpers.ts";

const DOCKER_DIR = path.join(INFRA, "docker");
const dockerfiles = readdirSync(DOCKER_DIR)
  .filter((f) => f.endsWith(".Dockerfile"))
  .sort();

interface Stage {
  from: string;
  /** the image after ARG defaults are substituted */
  image: string;
  alias?: string;
  instructions: Instruction[];
}

/** Parses a Dockerfile into stages with ARG defaults (global ARGs before the first FROM) resolved. */
function parse(file: string) {
  const text = readFileSync(path.join(DOCKER_DIR, file), "utf8");
  const df = DockerfileParser.parse(text);
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of df.getInstructions()) {
    const kw = ins.getKeyword();
    if (kw === "ARG" && stages.length === 0) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(ins.getArgumentsContent() ?? "");
      if (m) globalArgs[m[1] as string] = (m[2] as string).replace(/^"|"$/g, "");
      continue;
    }
    if (kw === "FROM") {
      const args = (ins.getArguments() ?? []).map((a) => a.getValue()).filter((a) => !a.startsWith("--"));
      const from = args[0] as string;
      const image = from.replace(
        /\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g,
        (_, n: string) => globalArgs[n] ?? `<unset ${n}>`,
      );
      stages.push({ from, image, alias: args[2], instructions: [] });
      continue;
    }
    stages.at(-1)?.instructions.push(ins);
  }
  return { text, stages, globalArgs };
}

const content = (i: Instruction) => i.getArgumentsContent() ?? "";
const of = (s: Stage, kw: string) => s.instructions.filter((i) => i.getKeyword() === kw);

/** JSON-form (exec) arguments of CMD/HEALTHCHECK ... CMD. */
function execForm(raw: string): string[] {
  const json = raw.slice(raw.indexOf("["));
  return JSON.parse(json) as string[];
}

function ignorePatterns(file: string): string[] {
  return readFileSync(path.join(DOCKER_DIR, `${file}.dockerignore`), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
}

/** Minimal .dockerignore matching (Go filepath.Match-like with ** and leading-! exceptions). */
function ignored(patterns: string[], rel: string): boolean {
  const toRe = (p: string) => {
    let re = "";
    for (let i = 0; i < p.length; i++) {
      const ch = p[i] as string;
      if (p.startsWith("**/", i)) {
        re += "(?:.*/)?";
        i += 2;
      } else if (p.startsWith("**", i)) {
        re += ".*";
        i += 1;
      } else if (ch === "*") re += "[^/]*";
      else if (ch === "?") re += "[^/]";
      else re += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
    return new RegExp(`^${re}(?:/.*)?$`);
  };
  let out = false;
  for (const p of patterns) {
    if (p.startsWith("!")) {
      if (toRe(p.slice(1)).test(rel)) out = false;
    } else if (toRe(p).test(rel)) out = true;
  }
  return out;
}

it("finds the four Dockerfiles", () => {
  expect(dockerfiles).toEqual([
    "migrate.Dockerfile",
    "runner-cpu.Dockerfile",
    "runner-gpu.Dockerfile",
    "web.Dockerfile",
  ]);
});

describe.each(dockerfiles)("%s", (file) => {
  const { text, stages } = parse(file);
  const final = stages.at(-1) as Stage;
  const aliases = new Set(stages.map((s) => s.alias).filter(Boolean));

  it("passes dockerfile-utils' linter (syntax, flags, durations, duplicate CMD/HEALTHCHECK)", () => {
    const problems = validate(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
    expect(problems).toEqual([]);
  });

  it("pins every base image to a version tag or digest (never latest, never untagged)", () => {
    for (const s of stages) {
      if (aliases.has(s.from)) continue; // FROM an earlier stage
      expect(s.image, `${file}: FROM ${s.from}`).not.toMatch(/<unset/);
      const m = /^(?<repo>[^:@]+)(?::(?<tag>[^@]+))?(?:@(?<digest>sha256:[0-9a-f]{64}))?$/.exec(s.image);
      expect(m, s.image).not.toBeNull();
      const { tag, digest } = m?.groups ?? {};
      expect(Boolean(digest) || (Boolean(tag) && tag !== "latest"), `${s.image} is not pinned`).toBe(true);
      // a version tag has at least major.minor (node:20 would float)
      if (!digest) expect(tag, s.image).toMatch(/\d+\.\d+/);
    }
  });

  it("runs the final image as a non-root USER", () => {
    const users = of(final, "USER");
    expect(users.length, "USER in the final stage").toBeGreaterThan(0);
    const user = content(users.at(-1) as Instruction).split(":")[0];
    expect(["root", "0", ""]).not.toContain(user);
  });

  it("uses exec-form CMD (node as PID 1 receives SIGTERM) and no ADD of remote URLs", () => {
    const cmd = of(final, "CMD").at(-1);
    expect(cmd, "CMD in the final stage").toBeDefined();
    expect(
      content(cmd as Instruction)
        .trim()
        .startsWith("["),
      "exec form",
    ).toBe(true);
    for (const s of stages) for (const a of of(s, "ADD")) expect(content(a)).not.toMatch(/https?:\/\//);
  });

  it("installs from the lockfile, and apt without recommends and with its lists removed", () => {
    const all = stages.flatMap((s) => s.instructions);
    const installs = all.filter(
      (i) => i.getKeyword() === "RUN" && /\bNPM_INSTALL\b|npm (ci|install)\b/.test(content(i)),
    );
    expect(installs.length).toBeGreaterThan(0);
    expect(text).toMatch(/package-lock\.json/);
    for (const r of all.filter((i) => i.getKeyword() === "RUN" && /apt-get install/.test(content(i)))) {
      expect(content(r)).toMatch(/--no-install-recommends/);
      expect(content(r)).toMatch(/rm -rf \/var\/lib\/apt\/lists/);
      expect(content(r)).not.toMatch(/apt-get (dist-)?upgrade/);
    }
  });

  it("runs the root install scripts only once the sources are there", () => {
    // the deps stage holds only package.json files: a root postinstall (prisma generate) would fail
    // there, so it installs with --ignore-scripts and a stage with the sources runs the script.
    const pkg = readJson("package.json") as { scripts?: Record<string, string> };
    if (!pkg.scripts?.["postinstall"]) return;
    const deps = stages.find((s) => s.alias === "deps") as Stage;
    const install = of(deps, "RUN").find((r) => /NPM_INSTALL|npm (ci|install)/.test(content(r)));
    expect(content(install as Instruction)).toMatch(/--ignore-scripts/);
    const later = stages.slice(stages.indexOf(deps) + 1);
    expect(later.some((s) => of(s, "RUN").some((r) => /npm run postinstall/.test(content(r))))).toBe(true);
  });

  it("COPY sources from the context exist and are not excluded by its .dockerignore", () => {
    const patterns = ignorePatterns(file);
    for (const s of stages)
      for (const c of of(s, "COPY")) {
        const args = (c.getArguments() ?? []).map((a) => a.getValue());
        const flags = (
          c as unknown as { getFlags(): { getName(): string; getValue(): string | null }[] }
        ).getFlags();
        const fromFlag = flags.find((f) => f.getName() === "from");
        if (fromFlag) {
          const src = fromFlag.getValue() ?? "";
          expect(aliases.has(src) || src.includes("/") || src.includes(":"), `${file}: --from=${src}`).toBe(
            true,
          );
          continue;
        }
        const sources = args.filter((a) => !a.startsWith("--")).slice(0, -1);
        for (const src of sources) {
          if (src === "." || src === "./") continue;
          expect(exists(src), `${file}: COPY ${src}`).toBe(true);
          expect(
            ignored(patterns, src.replace(/\/$/, "")),
            `${file}: ${src} is excluded by .dockerignore`,
          ).toBe(false);
        }
      }
  });
});

describe(".dockerignore", () => {
  it("each Dockerfile has an identical <name>.Dockerfile.dockerignore that keeps secrets and builds out", () => {
    const texts = dockerfiles.map((f) => readFileSync(path.join(DOCKER_DIR, `${f}.dockerignore`), "utf8"));
    for (const t of texts) expect(t).toBe(texts[0]);
    const patterns = ignorePatterns(dockerfiles[0] as string);
    for (const p of [
      "node_modules",
      "apps/web/node_modules",
      "apps/web/.next",
      ".env",
      "infra/.env",
      ".git",
      ".data",
    ])
      expect(ignored(patterns, p), p).toBe(true);
    for (const p of [
      "package.json",
      "package-lock.json",
      "apps/web/src/app/page.tsx",
      "prisma/schema.prisma",
      "infra/.env.example",
    ])
      expect(ignored(patterns, p), p).toBe(false);
  });
});

describe("image-specific requirements", () => {
  const web = parse("web.Dockerfile");
  const gpu = parse("runner-gpu.Dockerfile");
  const cpu = parse("runner-cpu.Dockerfile");
  const migrate = parse("migrate.Dockerfile");
  const finalOf = (p: ReturnType<typeof parse>) => p.stages.at(-1) as Stage;
  const healthUrl = (s: Stage) => {
    const hc = of(s, "HEALTHCHECK").at(-1);
    return hc ? content(hc) : "";
  };

  it("web: Next standalone server, port 3000, HEALTHCHECK on /api/health", () => {
    const f = finalOf(web);
    expect(execForm(content(of(f, "CMD").at(-1) as Instruction))).toEqual(["node", "apps/web/server.js"]);
    expect(of(f, "COPY").map(content).join("\n")).toMatch(/\.next\/standalone/);
    expect(of(f, "COPY").map(content).join("\n")).toMatch(/\.next\/static/);
    expect(healthUrl(f)).toMatch(/\/api\/health/);
    const hc = of(f, "HEALTHCHECK").at(-1) as unknown as {
      getFlags(): { getName(): string; getValue(): string }[];
    };
    const flags = Object.fromEntries(hc.getFlags().map((x) => [x.getName(), x.getValue()]));
    expect(flags["interval"]).toMatch(/^\d+s$/);
    expect(flags["timeout"]).toMatch(/^\d+s$/);
    expect(of(f, "EXPOSE").map(content)).toContain("3000");
  });

  it("web: next.config builds the standalone output that the image copies", () => {
    const cfg = read("apps/web/next.config.ts");
    expect(cfg).toMatch(/output:\s*["']standalone["']/);
    // tracing root = the repository root, so server.js lands at .next/standalone/apps/web/server.js
    expect(cfg).toMatch(/outputFileTracingRoot:\s*path\.join\(import\.meta\.dirname,\s*["']\.\.\/\.\.["']\)/);
    expect(web.text).toMatch(/test -f apps\/web\/\.next\/standalone\/apps\/web\/server\.js/);
  });

  it("GPU runner: CUDA base, Vulkan loader, NVIDIA_DRIVER_CAPABILITIES with graphics, optional tfjs-node-gpu", () => {
    const f = finalOf(gpu);
    expect(f.image).toMatch(/^nvidia\/cuda:\d+\.\d+\.\d+-cudnn\d*-runtime-ubuntu\d+\.\d+$/);
    const env = of(f, "ENV").map(content).join(" ");
    const caps = /NVIDIA_DRIVER_CAPABILITIES=([\w,]+)/.exec(env)?.[1]?.split(",") ?? [];
    expect(caps).toEqual(expect.arrayContaining(["compute", "utility", "graphics"]));
    expect(of(f, "RUN").map(content).join("\n")).toMatch(/apt-get install[^\n]*\blibvulkan1\b/);
    expect(gpu.text).toMatch(/ARG WITH_TFJS_NODE_GPU=0/);
    expect(gpu.text).toMatch(/@tensorflow\/tfjs-node-gpu@\$\{TFJS_NODE_GPU_VERSION\}/);
    // tfjs-node-gpu must match the engine's @tensorflow/tfjs version
    const engine = readJson("packages/engine/package.json") as { dependencies?: Record<string, string> };
    const tfjs = engine.dependencies?.["@tensorflow/tfjs"];
    if (tfjs) expect(gpu.text).toContain(`ARG TFJS_NODE_GPU_VERSION=${tfjs}`);
    const icd = JSON.parse(readFileSync(path.join(DOCKER_DIR, "nvidia_icd.json"), "utf8"));
    expect(icd.ICD.library_path).toMatch(/nvidia/);
  });

  it("runners: the same entry command, HEALTHCHECK on /healthz, port 9464; the CPU image has no CUDA", () => {
    for (const p of [gpu, cpu]) {
      const f = finalOf(p);
      expect(execForm(content(of(f, "CMD").at(-1) as Instruction))).toEqual([
        "node",
        "--import",
        "tsx",
        "apps/gpu-runner/src/main.ts",
      ]);
      expect(healthUrl(f)).toMatch(/\/healthz/);
      expect(of(f, "EXPOSE").map(content)).toContain("9464");
    }
    expect(finalOf(cpu).image).not.toMatch(/cuda/);
    expect(of(finalOf(cpu), "ENV").map(content).join(" ")).toMatch(/ENGINE_BACKEND=wasm/);
  });

  it("migrations: npm run db:migrate, a script the root package.json defines", () => {
    const f = finalOf(migrate);
    expect(execForm(content(of(f, "CMD").at(-1) as Instruction))).toEqual(["npm", "run", "db:migrate"]);
    const pkg = readJson("package.json") as { scripts: Record<string, string> };
    expect(pkg.scripts["db:migrate"]).toBeDefined();
    const script = /tsx\s+(\S+\.ts)/.exec(pkg.scripts["db:migrate"] as string)?.[1];
    if (script) expect(exists(script), script).toBe(true);
  });
});

describe("entry commands exist in the build output (outside Docker, same commands)", () => {
  it("runner: the package's start script runs the file the images run", () => {
    const pkg = readJson("apps/gpu-runner/package.json") as { scripts: Record<string, string> };
    expect(pkg.scripts["start"]).toMatch(/tsx src\/main\.ts/);
    expect(exists("apps/gpu-runner/src/main.ts")).toBe(true);
  });

  it.skipIf(!exists("apps/gpu-runner/src/main.ts"))(
    "runner: `node --import tsx apps/gpu-runner/src/main.ts` loads its whole import graph",
    async () => {
      // A bad RUNNER_CONCURRENCY makes main.ts stop at its env check, which runs only after every
      // import was resolved and evaluated: a missing module would fail earlier with another error.
      const r = await run(["--import", "tsx", "apps/gpu-runner/src/main.ts"], {
        RUNNER_CONCURRENCY: "not-a-number",
        DATABASE_URL: "postgresql://nobody:nothing@127.0.0.1:1/none",
        REDIS_URL: "redis://127.0.0.1:1",
      });
      expect(r.output).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find module|SyntaxError/);
      expect(r.output).toMatch(/RUNNER_CONCURRENCY/);
      expect(r.code).not.toBe(0);
    },
    120_000,
  );

  const server = "apps/web/.next/standalone/apps/web/server.js";
  // Skipped only before a build exists; `npm test` runs it after its build with HENS_REQUIRE_STANDALONE=1.
  it.skipIf(!exists(server) && !process.env["HENS_REQUIRE_STANDALONE"])(
    "web: the standalone server.js of a local `next build` starts and serves /api/health",
    async () => {
      const port = await freePort();
      const child = spawn(process.execPath, [server], {
        cwd: ROOT,
        env: {
          PATH: process.env["PATH"] ?? "",
          NODE_ENV: "production",
          PORT: String(port),
          HOSTNAME: "127.0.0.1",
          // production refuses placeholder-looking secrets: a random one, as an operator would set
          AUTH_SECRET: randomBytes(32).toString("base64"),
          DATABASE_URL: "postgresql://nobody:nothing@127.0.0.1:1/none",
          REDIS_URL: "redis://127.0.0.1:1",
          NEXT_TELEMETRY_DISABLED: "1",
        },
        stdio: "ignore",
      });
      try {
        let status = 0;
        for (let i = 0; i < 60 && status === 0; i++) {
          await new Promise((r) => setTimeout(r, 500));
          status = await fetch(`http://127.0.0.1:${port}/api/health`, {
            signal: AbortSignal.timeout(10_000),
          }).then(
            (r) => r.status,
            () => 0,
          );
        }
        // nothing listens on the database/queue ports: the route exists and reports them down
        expect(status).toBe(503);
      } finally {
        child.kill("SIGTERM");
      }
    },
    90_000,
  );
});

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "/tmp", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => {
      output += d;
    });
    child.stderr.on("data", (d) => {
      output += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 100_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      s.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}
