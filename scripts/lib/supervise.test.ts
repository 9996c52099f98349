// The quickstart's supervision: a child that dies on its own is reported (which, how, last lines)
// and ends the quickstart with a non-zero status after stopping the others.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type ChildDeath, describeDeath, Supervisor } from "./supervise.ts";

const root = path.resolve(import.meta.dirname, "../..");
const tsx = path.join(root, "node_modules", ".bin", "tsx");

/** Start the driver; resolves its pids once both children have spoken. */
function startDriver(mode: "serve" | "exit-3") {
  const driver = spawn(tsx, [path.join(import.meta.dirname, "supervise.test-helpers.ts"), mode], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const onData = (c: Buffer) => {
    output += c.toString();
  };
  driver.stdout.on("data", onData);
  driver.stderr.on("data", onData);
  const exited = new Promise<number | null>((resolve) => driver.once("close", (code) => resolve(code)));
  const until = async (pattern: RegExp) => {
    for (let i = 0; i < 1200 && !pattern.test(output); i++) await new Promise((r) => setTimeout(r, 50));
    const m = pattern.exec(output);
    if (!m) throw new Error(`driver never printed ${pattern}; output:\n${output}`);
    return m;
  };
  return { driver, exited, until, output: () => output };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("quickstart supervision (a driver process wired like scripts/quickstart.ts)", {
  timeout: 120_000,
}, () => {
  it("the web child killed: says which, how and its last lines, stops the runner, exits 1", async () => {
    const d = startDriver("serve");
    const [, webPid, runnerPid] = await d.until(/pids web=(\d+) runner=(\d+)/);
    await d.until(/runner: ready/);
    await d.until(/web: a warning/);
    process.kill(Number(webPid), "SIGKILL");
    expect(await d.exited).toBe(1);
    const out = d.output();
    expect(out).toMatch(
      /the web process was killed by SIGKILL; its last output:\n {2}web \| web: (listening|a warning)/,
    );
    expect(out).toContain("stopping the other processes; exiting with status 1");
    expect(out).toContain("runner | runner: stopping");
    expect(out).not.toMatch(/the runner process/); // the runner's stop is not a death
    expect(alive(Number(runnerPid))).toBe(false);
  });

  it("a web that exits on its own: its exit code and last stderr line are reported", async () => {
    const d = startDriver("exit-3");
    expect(await d.exited).toBe(1);
    const out = d.output();
    expect(out).toContain("the web process exited with code 3; its last output:");
    expect(out).toContain("  web | web: port 3000 is in use");
    expect(out).toContain("runner | runner: stopping");
  });
});

describe("Supervisor", { timeout: 60_000 }, () => {
  const node = (name: string, script: string) => ({
    name,
    cmd: process.execPath,
    args: ["-e", script],
    cwd: root,
    env: process.env,
  });
  const quiet = { out: () => {}, err: () => {} };

  it("run() returns the exit code; stop() ends children without reporting deaths", async () => {
    const s = new Supervisor(quiet);
    const deaths: ChildDeath[] = [];
    s.onDeath((d) => deaths.push(d));
    expect(await s.run(node("build", "process.exit(0)"))).toBe(0);
    expect(await s.run(node("build", "process.exit(7)"))).toBe(7);
    const c: ChildProcess = s.start(node("web", "setInterval(() => {}, 1000)"));
    await new Promise((r) => setTimeout(r, 300));
    await s.stop();
    expect(c.signalCode).toBe("SIGTERM");
    expect(deaths).toEqual([]);
  });

  it("keeps whole lines, the last N, across chunk boundaries", async () => {
    const s = new Supervisor({ ...quiet, keepLines: 3 });
    const death = new Promise<ChildDeath>((resolve) => s.onDeath(resolve));
    s.start(
      node(
        "runner",
        `for (let i = 1; i <= 5; i++) console.log("line " + i);
         process.stdout.write("part"); setTimeout(() => { process.stdout.write("ial\\n"); process.exit(2) }, 100)`,
      ),
    );
    const d = await death;
    expect(d).toEqual({ name: "runner", code: 2, signal: null, lastLines: ["line 4", "line 5", "partial"] });
    expect(describeDeath(d)).toBe(
      "the runner process exited with code 2; its last output:\n  runner | line 4\n  runner | line 5\n  runner | partial",
    );
  });

  it("a command that cannot start is a death too, with the reason", async () => {
    const s = new Supervisor(quiet);
    const death = new Promise<ChildDeath>((resolve) => s.onDeath(resolve));
    s.start({ name: "web", cmd: path.join(root, "no-such-binary"), args: [], cwd: root, env: process.env });
    const d = await death;
    expect(d.name).toBe("web");
    expect(d.lastLines.join("\n")).toMatch(/could not run .*no-such-binary: spawn .* ENOENT/);
  });
});
