import { readFile, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import {
  type DatasetUpload,
  DEFAULT_TIMEOUT_MS,
  HensApiError,
  HensClient,
  type HensEvent,
  HensNetworkError,
  type StudySpec,
  type TheoryFilesUpload,
  type TrialRow,
} from "./client.ts";
import { FIT_COMMANDS, FIT_USAGE, FitCommandError, fitCommand } from "./fit.ts";
import { applySearchFlags, SEARCH_FLAG_OPTIONS, SEARCH_FLAG_USAGE } from "./search-flags.ts";
import { STUDY_MANAGE_USAGE, StudyCommandError, studyManageCommand } from "./study-manage.ts";
import { STUDY_TEAM_COMMANDS, STUDY_TEAM_USAGE, studyTeamCommand } from "./study-team.ts";
import { theoryUpload } from "./theory.ts";

export const USAGE = `hens: HyperEnsemble from the command line

Environment: HENS_URL (the deployment, e.g. https://hens.example.org), HENS_TOKEN (an API token
hens_...), optionally HENS_ORG (an organization slug; default: the token's organization) and
HENS_TIMEOUT (seconds a request may take; default 30).

  hens whoami
  hens study create -f study.yaml          create a study from a YAML or JSON spec; prints its id
${SEARCH_FLAG_USAGE}
  hens study list
  hens study follow <id> [--poll] [--interval 2]
                                           print trials as they finish until the study ends (pushed
                                           by server-sent events; --poll, or a server without them: polling)
  hens study export <id> --format csv|json|optuna [-o file]
  hens study pause|resume|cancel <id>
${STUDY_MANAGE_USAGE}
${STUDY_TEAM_USAGE}
  hens dataset upload -f data.json --name NAME
  hens dataset upload -f data.csv --name NAME --inputs x --targets y --errors dy [--subset col]
  hens dataset upload --theory theory.json --name NAME      a theory (JSON)
  hens dataset upload --theory meta.json --npz arrays.npz --name NAME   (or --npy path=file.npy ...)
                                          files past 4 MiB go as multipart (up to 256 MiB by default)
  hens dataset list
${FIT_USAGE}

Options: --org SLUG (overrides HENS_ORG), -h/--help.
Exit codes: 0 done; 1 the followed study ended FAILED or CANCELLED; 2 usage (unknown command, missing
argument or variable: checked before any request); 3 the API refused (the error's status and code
are printed); 4 the server could not be reached or did not answer within HENS_TIMEOUT.`;

export interface CliIo {
  env: Record<string, string | undefined>;
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

class UsageError extends Error {}

const OPTIONS = {
  file: { type: "string", short: "f" },
  org: { type: "string" },
  format: { type: "string" },
  output: { type: "string", short: "o" },
  interval: { type: "string" },
  name: { type: "string" },
  inputs: { type: "string", multiple: true },
  targets: { type: "string", multiple: true },
  errors: { type: "string", multiple: true },
  subset: { type: "string" },
  poll: { type: "boolean" },
  theory: { type: "string" },
  npz: { type: "string" },
  npy: { type: "string", multiple: true },
  replicas: { type: "string" },
  trial: { type: "string" },
  help: { type: "boolean", short: "h" },
  ...SEARCH_FLAG_OPTIONS,
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>["values"];

/** Runs one command; returns the process exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    io.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    io.stdout.write(`${USAGE}\n`);
    return positionals.length === 0 && !values.help ? 2 : 0;
  }
  try {
    // Everything that can be checked locally is, before the first request.
    checkCommand(positionals, values);
    const client = new HensClient({
      url: io.env["HENS_URL"] ?? "",
      token: io.env["HENS_TOKEN"] ?? "",
      timeoutMs: timeoutFromEnv(io.env["HENS_TIMEOUT"]),
      ...(io.fetch ? { fetch: io.fetch } : {}),
      ...(io.sleep ? { sleep: io.sleep } : {}),
    });
    return await run(client, positionals, values, io);
  } catch (err) {
    if (err instanceof HensApiError) {
      io.stderr.write(`error ${err.status} ${err.code}: ${err.message}\n`);
      for (const [field, message] of Object.entries(err.fieldErrors ?? {}))
        io.stderr.write(`  ${field}: ${message}\n`);
      return 3;
    }
    if (err instanceof HensNetworkError) {
      io.stderr.write(`error: ${err.message}\n`);
      return 4;
    }
    if (err instanceof UsageError || err instanceof StudyCommandError || err instanceof FitCommandError)
      io.stderr.write(`${err.message}\n\n${USAGE}\n`);
    else io.stderr.write(`error: ${(err as Error).message}\n`);
    return 2;
  }
}

function timeoutFromEnv(raw: string | undefined): number {
  if (raw === undefined || raw === "") return DEFAULT_TIMEOUT_MS;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new UsageError(`HENS_TIMEOUT must be a positive number of seconds, got "${raw}"`);
  return seconds * 1000;
}

/** The export formats (the server's EXPORT_FORMATS; the CLI ships without the web app). */
const EXPORT_FORMATS = ["csv", "json", "optuna"];

/** Each command with the id it needs (`<id>`) or none: the table `checkCommand` reads. */
const COMMANDS: Record<string, { id?: string }> = {
  whoami: {},
  "study create": {},
  "study list": {},
  "study follow": { id: "hens study follow <id>" },
  "study pause": { id: "hens study pause <id>" },
  "study resume": { id: "hens study resume <id>" },
  "study cancel": { id: "hens study cancel <id>" },
  "study export": { id: "hens study export <id> --format csv|json|optuna" },
  // study-manage.ts (issue 14)
  "study get": {},
  "study find": { id: "hens study find TEXT" },
  "study delete": { id: "hens study delete <id>" },
  "study enqueue": { id: "hens study enqueue <id> -f configs.yaml" },
  ...STUDY_TEAM_COMMANDS,
  "dataset upload": {},
  "dataset list": {},
  "fit create": FIT_COMMANDS["fit create"]!,
  "fit follow": FIT_COMMANDS["fit follow"]!,
  "fit export": FIT_COMMANDS["fit export"]!,
  "fit evaluate": FIT_COMMANDS["fit evaluate"]!,
};

/** Unknown commands, missing ids and bad option values are usage errors, found without the network. */
function checkCommand(args: string[], values: Values): void {
  const [noun, verb, id] = args;
  const name = noun === "whoami" ? "whoami" : `${noun} ${verb ?? ""}`.trim();
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command: ${args.join(" ")}`);
  if (command.id && !id) throw new UsageError(command.id);
  if (name === "study create" && !values.file) throw new UsageError("give the spec file with -f FILE");
  if (name === "study get" && !values.name) throw new UsageError("hens study get --name NAME");
  if (name === "study enqueue" && !values.file)
    throw new UsageError("hens study enqueue <id> -f configs.yaml");
  if (name === "study export" && values.format && !EXPORT_FORMATS.includes(values.format))
    throw new UsageError(`--format must be ${EXPORT_FORMATS.join(", ")}`);
  if (name === "study follow" && values.interval !== undefined && !(Number(values.interval) >= 0))
    throw new UsageError("--interval must be a number of seconds");
  if (name === "dataset upload") {
    if (!values.file && !values.theory)
      throw new UsageError("give the data file with -f FILE (or --theory FILE)");
    if (!values.name) throw new UsageError("give the dataset a --name");
  }
}

async function resolveOrg(client: HensClient, values: Values, env: CliIo["env"]): Promise<string> {
  const explicit = values.org ?? env["HENS_ORG"];
  if (explicit) return explicit;
  const me = await client.me();
  const only = me.orgs.length === 1 ? me.orgs[0] : undefined;
  if (!only) {
    throw new UsageError(`you belong to ${me.orgs.length} organizations: pass --org or set HENS_ORG`);
  }
  return only.slug;
}

async function readSpecFile(path: string | undefined): Promise<unknown> {
  if (!path) throw new UsageError("give the spec file with -f FILE");
  const text = await readFile(path, "utf8");
  // YAML is a superset of JSON: one parser reads both.
  return parseYaml(text);
}

async function run(client: HensClient, args: string[], values: Values, io: CliIo): Promise<number> {
  const [noun, verb, id] = args;
  const out = (line: string) => io.stdout.write(`${line}\n`);
  if (noun === "whoami") {
    out(JSON.stringify(await client.me(), null, 2));
    return 0;
  }
  const org = await resolveOrg(client, values, io.env);
  const team =
    noun === "study" && id
      ? await studyTeamCommand(client, org, { verb, id, rest: args.slice(3), file: values.file }, io)
      : undefined;
  if (team !== undefined) return team;
  const managed =
    noun === "study"
      ? await studyManageCommand(client, org, { verb, id, name: values.name, file: values.file }, io)
      : undefined;
  if (managed !== undefined) return managed;
  if (noun === "fit") return fitCommand(client, org, { verb, id: id!, values }, io);
  switch (`${noun} ${verb}`) {
    case "study create": {
      let spec: StudySpec;
      try {
        spec = applySearchFlags(await readSpecFile(values.file), values) as StudySpec;
      } catch (err) {
        throw err instanceof UsageError ? err : new UsageError((err as Error).message);
      }
      const { id: studyId } = await client.createStudy(org, spec);
      out(studyId);
      return 0;
    }
    case "study list": {
      const { items } = await client.listStudies(org, { take: 100 });
      for (const s of items) {
        const failed = s.trialCounts?.FAIL ? ` (${s.trialCounts.FAIL} failed)` : "";
        out(
          `${s.id}  ${s.state.padEnd(9)} ${String(s.trialsDone).padStart(4)}/${s.maxTrials}${failed}  ${s.bestValue ?? "-"}  ${s.name}`,
        );
      }
      return 0;
    }
    case "study follow":
      if (!id) throw new UsageError("hens study follow <id>");
      return follow(client, org, id, Number(values.interval ?? "2"), io, values.poll === true);
    case "study pause":
    case "study resume":
    case "study cancel": {
      if (!id) throw new UsageError(`hens study ${verb} <id>`);
      const result = await client.controlStudy(org, id, verb as "pause" | "resume" | "cancel");
      out(`${id}  ${result.state}`);
      return 0;
    }
    case "study export": {
      if (!id) throw new UsageError("hens study export <id> --format csv|json|optuna");
      const format = values.format ?? "csv";
      const body =
        format === "optuna"
          ? await client.exportStudyOptuna(org, id)
          : format === "json"
            ? `${JSON.stringify(await client.exportStudyJson(org, id), null, 2)}\n`
            : await client.exportStudyCsv(org, id);
      if (values.output) await writeFile(values.output, body);
      else io.stdout.write(body);
      return 0;
    }
    case "dataset upload": {
      const upload = await datasetUpload(values);
      const created =
        upload.format === "theory-files"
          ? await client.uploadTheoryFiles(org, upload)
          : await client.uploadDataset(org, upload);
      out(`${created.id}  ${created.name}  ${created.nPoints} points`);
      return 0;
    }
    case "dataset list": {
      const { items } = await client.listDatasets(org);
      for (const d of items)
        out(`${d.id}  ${d.kind.padEnd(8)} ${String(d.nPoints ?? "-").padStart(6)}  ${d.name}`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command: ${args.join(" ")}`);
  }
}

async function datasetUpload(values: Values): Promise<DatasetUpload | TheoryFilesUpload> {
  if (values.theory) return theoryUpload(values);
  if (!values.file) throw new UsageError("give the data file with -f FILE");
  if (!values.name) throw new UsageError("give the dataset a --name");
  const text = await readFile(values.file, "utf8");
  if (values.file.toLowerCase().endsWith(".csv")) {
    if (!values.inputs || !values.targets || !values.errors) {
      throw new UsageError("a CSV upload needs --inputs, --targets and --errors (column names; repeatable)");
    }
    return {
      format: "csv",
      name: values.name,
      csv: text,
      inputs: values.inputs,
      targets: values.targets,
      errors: values.errors,
      ...(values.subset ? { subset: values.subset } : {}),
    };
  }
  return { format: "json", name: values.name, data: JSON.parse(text) };
}

const TERMINAL = new Set(["COMPLETED", "FAILED", "CANCELLED"]);
const FINISHED_TRIAL = new Set(["COMPLETE", "PRUNED", "FAIL"]);

function describeTrial(t: TrialRow): string {
  const value = t.value === null ? "" : ` value=${t.value.toPrecision(6)}`;
  const params = Object.entries(t.params)
    .map(([k, v]) => `${k}=${typeof v === "number" ? Number(v.toPrecision(4)) : v}`)
    .join(" ");
  return `trial ${t.number} ${t.state}${value}  ${params}${t.error ? `  error: ${t.error}` : ""}`;
}

/**
 * Print finished trials until the study ends. The study's event stream says when to look again
 * (trial and study changes are pushed); without it (`--poll`, an older server, a dropped stream that
 * cannot be reopened) the trials are re-read every `intervalSeconds`.
 */
async function follow(
  client: HensClient,
  org: string,
  studyId: string,
  intervalSeconds: number,
  io: CliIo,
  poll: boolean,
) {
  const sleep = io.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const intervalMs = Math.max(0.2, Number.isFinite(intervalSeconds) ? intervalSeconds : 2) * 1000;
  const reported = new Set<number>();
  let lastProgress = "";
  const stop = new AbortController();
  // Opened before the first read: the stream starts at the log's head, so nothing falls between.
  const push = poll ? null : await openPush(client, org, studyId, stop.signal, io);
  try {
    for (;;) {
      const { study, trials } = await client.allTrials(org, studyId);
      for (const t of trials) {
        if (FINISHED_TRIAL.has(t.state) && !reported.has(t.number)) {
          reported.add(t.number);
          io.stdout.write(`${describeTrial(t)}\n`);
        }
      }
      const done = trials.filter((t) => FINISHED_TRIAL.has(t.state)).length;
      const running = trials.filter((t) => t.state === "RUNNING").length;
      const values = trials.flatMap((t) => (t.state === "COMPLETE" && t.value !== null ? [t.value] : []));
      const best = values.length ? Math.min(...values).toPrecision(6) : "-";
      const progress = `${study.name}: ${study.state} ${done}/${study.maxTrials} done, ${running} running, best ${best}`;
      if (progress !== lastProgress) {
        io.stdout.write(`${progress}\n`);
        lastProgress = progress;
      }
      if (TERMINAL.has(study.state)) return study.state === "COMPLETED" ? 0 : 1;
      if (!push || !(await push.next())) await sleep(intervalMs);
    }
  } finally {
    stop.abort();
    await push?.close();
  }
}

/** Events worth a re-read: a trial started or finished, or the study changed state. */
const WAKING = new Set(["trial.started", "trial.completed", "trial.pruned", "trial.failed", "study.state"]);

/** The study's event stream as "wait for the next change"; reopened after Last-Event-ID once dropped. */
async function openPush(client: HensClient, org: string, studyId: string, signal: AbortSignal, io: CliIo) {
  let lastEventId: string | undefined;
  const open = () => client.openEvents(org, { studyId, signal, ...(lastEventId ? { lastEventId } : {}) });
  let stream: AsyncGenerator<HensEvent> | null;
  try {
    stream = await open();
  } catch (err) {
    // A server without /events (404, 405) or a network hiccup: poll instead. A refusal is an error.
    if (err instanceof HensApiError && err.status !== 404 && err.status !== 405) throw err;
    io.stderr.write("note: no event stream here; polling\n");
    return null;
  }
  return {
    async close() {
      await stream?.return(undefined).catch(() => undefined);
    },
    /** True after a relevant event; false once the stream cannot be reopened (then poll). */
    async next(): Promise<boolean> {
      for (let failures = 0; stream && failures < 3; ) {
        try {
          const result = await stream.next();
          if (result.done) throw new HensNetworkError("the event stream ended");
          lastEventId = result.value.id;
          if (WAKING.has(result.value.type)) return true;
        } catch (err) {
          if (signal.aborted) return false;
          if (err instanceof HensApiError) throw err;
          failures++;
          await new Promise((resolve) => setTimeout(resolve, 1000 * failures));
          stream = await open().catch(() => stream);
        }
      }
      if (stream) io.stderr.write("note: the event stream keeps dropping; polling\n");
      stream = null;
      return false;
    },
  };
}
