// The quickstart's children (web, runner) under supervision: their output is shown with a prefix and
// the last lines are kept, so that when one dies on its own the quickstart can say which, how (exit
// code or signal) and what it printed last, then stop the others and exit non-zero. A dead web with
// a live runner looked like a working quickstart; now it ends it. No restart: a child that died once
// (a bad secret, a port in use, out of memory) would most likely die again, and the user is at the
// terminal.
import { type ChildProcess, spawn } from "node:child_process";

export interface ChildSpec {
  name: string;
  cmd: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface ChildDeath {
  name: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The child's last output lines, oldest first. */
  lastLines: string[];
}

export interface SupervisorOptions {
  /** Where the children's prefixed output goes. */
  out?: (line: string) => void;
  err?: (line: string) => void;
  /** Lines kept per child for the death report. */
  keepLines?: number;
  /** SIGTERM, then SIGKILL after this long when a child does not exit on `stop()`. */
  killAfterMs?: number;
}

interface Supervised {
  name: string;
  child: ChildProcess;
  lastLines: string[];
  /** The child is gone and its output read (or a grace period passed): how it ended. */
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** How long to wait for a dead child's last output when something else still holds its pipes. */
const OUTPUT_GRACE_MS = 1_000;

export class Supervisor {
  private readonly children: Supervised[] = [];
  private readonly deathListeners: ((death: ChildDeath) => void)[] = [];
  private stopping = false;
  private readonly out: (line: string) => void;
  private readonly err: (line: string) => void;
  private readonly keepLines: number;
  private readonly killAfterMs: number;

  constructor(options: SupervisorOptions = {}) {
    this.out = options.out ?? ((l) => console.log(l));
    this.err = options.err ?? ((l) => console.error(l));
    this.keepLines = options.keepLines ?? 20;
    this.killAfterMs = options.killAfterMs ?? 15_000;
  }

  /** Called once per child that exits while the supervisor is not stopping. */
  onDeath(listener: (death: ChildDeath) => void): void {
    this.deathListeners.push(listener);
  }

  /** Start a long-running child: its exit before `stop()` is a death. */
  start(spec: ChildSpec): ChildProcess {
    const s = this.spawn(spec);
    void s.ended.then(({ code, signal }) => {
      if (this.stopping) return;
      const death = { name: spec.name, code, signal, lastLines: [...s.lastLines] };
      for (const listener of this.deathListeners) listener(death);
    });
    return s.child;
  }

  /** Run a child to completion (the build): its exit code, 1 when killed by a signal. */
  async run(spec: ChildSpec): Promise<number> {
    const { code } = await this.spawn(spec).ended;
    return code ?? 1;
  }

  /** Stop every child (SIGTERM, SIGKILL after killAfterMs); their exits are not deaths. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.children.map(async ({ child, ended }) => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), this.killAfterMs);
          await ended;
          clearTimeout(timer);
        }
      }),
    );
  }

  private spawn(spec: ChildSpec): Supervised {
    const child = spawn(spec.cmd, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lastLines: string[] = [];
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      let how: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      // "close" comes after the last output; a command that cannot start has "error" and "close" only.
      child.once("close", (code, signal) => resolve(how ?? { code, signal }));
      child.once("exit", (code, signal) => {
        how = { code, signal };
        setTimeout(() => resolve({ code, signal }), OUTPUT_GRACE_MS).unref();
      });
    });
    const s: Supervised = { name: spec.name, child, lastLines, ended };
    const keep = (line: string) => {
      lastLines.push(line);
      if (lastLines.length > this.keepLines) lastLines.shift();
    };
    pipeLines(child.stdout, (l) => {
      keep(l);
      this.out(`  ${spec.name} | ${l}`);
    });
    pipeLines(child.stderr, (l) => {
      keep(l);
      this.err(`  ${spec.name} | ${l}`);
    });
    child.once("error", (e) => keep(`(could not run ${spec.cmd}: ${e.message})`));
    this.children.push(s);
    return s;
  }
}

/** Whole lines from a stream (a chunk may end mid-line), blank lines dropped. */
function pipeLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let partial = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const l of lines) if (l.trim()) onLine(l.replace(/\r$/, ""));
  });
  stream.on("end", () => {
    if (partial.trim()) onLine(partial);
    partial = "";
  });
}

/** The report printed when a child dies: which, how, and its last lines. */
export function describeDeath(death: ChildDeath): string {
  const how = death.signal ? `was killed by ${death.signal}` : `exited with code ${death.code ?? "unknown"}`;
  const tail = death.lastLines.length
    ? `its last output:\n${death.lastLines.map((l) => `  ${death.name} | ${l}`).join("\n")}`
    : "it printed nothing";
  return `the ${death.name} process ${how}; ${tail}`;
}

/**
 * The quickstart's policy: the first death is reported through `say` and ends everything with
 * `shutdown(1)` (which stops the other children). Deaths during a shutdown already under way are
 * the shutdown's own doing and are not reported.
 */
export function exitOnDeath(
  supervisor: Supervisor,
  say: (line: string) => void,
  shutdown: (code: number) => Promise<void>,
): void {
  let reported = false;
  supervisor.onDeath((death) => {
    if (reported) return;
    reported = true;
    say(describeDeath(death));
    say("stopping the other processes; exiting with status 1");
    void shutdown(1);
  });
}
