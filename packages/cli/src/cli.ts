import { readFile, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import { type DatasetUpload, HensApiError, HensClient, type StudySpec, type TrialRow } from "./client.ts";
import { theoryUpload } from "./theory.ts";

export const USAGE = `hens: HyperEnsemble from the command line

Environment: HENS_URL (the deployment, e.g. https://hens.example.org), HENS_TOKEN (an API token
hens_...), optionally HENS_ORG (an organization slug; default: the token's organization).

  hens whoami
  hens study create -f study.yaml          create a study from a YAML or JSON spec; prints its id
  hens study list
  hens study follow <id> [--interval 2]    print trials as they finish until the study ends
  hens study export <id> --format csv|json [-o file]
  hens study pause|resume|cancel <id>
  hens dataset upload -f data.json --name NAME
  hens dataset upload -f data.csv --name NAME --inputs x --targets y --errors dy [--subset col]
  hens dataset upload --theory theory.json --name NAME      a theory (JSON)
  hens dataset upload --theory meta.json --npz arrays.npz --name NAME   (or --npy path=file.npy ...)
  hens dataset list

Options: --org SLUG (overrides HENS_ORG), -h/--help.
Exit codes: 0 done, 1 study FAILED or CANCELLED, 2 usage or API error.`;

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
  theory: { type: "string" },
  npz: { type: "string" },
  npy: { type: "string", multiple: true },
  help: { type: "boolean", short: "h" },
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
    const client = new HensClient({
      url: io.env["HENS_URL"] ?? "",
      token: io.env["HENS_TOKEN"] ?? "",
      ...(io.fetch ? { fetch: io.fetch } : {}),
      ...(io.sleep ? { sleep: io.sleep } : {}),
    });
    return await run(client, positionals, values, io);
  } catch (err) {
    if (err instanceof HensApiError) {
      io.stderr.write(`error ${err.status} ${err.code}: ${err.message}\n`);
      for (const [field, message] of Object.entries(err.fieldErrors ?? {}))
        io.stderr.write(`  ${field}: ${message}\n`);
    } else if (err instanceof UsageError) {
      io.stderr.write(`${err.message}\n\n${USAGE}\n`);
    } else {
      io.stderr.write(`error: ${(err as Error).message}\n`);
    }
    return 2;
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
  switch (`${noun} ${verb}`) {
    case "study create": {
      const spec = (await readSpecFile(values.file)) as StudySpec;
      const { id: studyId } = await client.createStudy(org, spec);
      out(studyId);
      return 0;
    }
    case "study list": {
      const { items } = await client.listStudies(org, { take: 100 });
      for (const s of items) {
        out(
          `${s.id}  ${s.state.padEnd(9)} ${String(s.trialsDone).padStart(4)}/${s.maxTrials}  ${s.bestValue ?? "-"}  ${s.name}`,
        );
      }
      return 0;
    }
    case "study follow":
      if (!id) throw new UsageError("hens study follow <id>");
      return follow(client, org, id, Number(values.interval ?? "2"), io);
    case "study pause":
    case "study resume":
    case "study cancel": {
      if (!id) throw new UsageError(`hens study ${verb} <id>`);
      const result = await client.controlStudy(org, id, verb as "pause" | "resume" | "cancel");
      out(`${id}  ${result.state}`);
      return 0;
    }
    case "study export": {
      if (!id) throw new UsageError("hens study export <id> --format csv|json");
      const format = values.format ?? "csv";
      if (format !== "csv" && format !== "json") throw new UsageError("--format must be csv or json");
      const body =
        format === "csv"
          ? await client.exportStudyCsv(org, id)
          : `${JSON.stringify(await client.exportStudyJson(org, id), null, 2)}\n`;
      if (values.output) await writeFile(values.output, body);
      else io.stdout.write(body);
      return 0;
    }
    case "dataset upload": {
      const upload = await datasetUpload(values);
      const created = await client.uploadDataset(org, upload);
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

async function datasetUpload(values: Values): Promise<DatasetUpload> {
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

/** Poll until the study ends: one line per finished trial, one per change of progress. */
async function follow(client: HensClient, org: string, studyId: string, intervalSeconds: number, io: CliIo) {
  const sleep = io.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const reported = new Set<number>();
  let lastProgress = "";
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
    await sleep(Math.max(0.2, Number.isFinite(intervalSeconds) ? intervalSeconds : 2) * 1000);
  }
}
