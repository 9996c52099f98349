import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import type { HensClient, ParamValue } from "./client.ts";

/** Study management commands (issue 14): find by name, delete, enqueue known configurations. */
export const STUDY_MANAGE_USAGE = `  hens study get --name NAME               the id of the study with exactly this name (exit 1: none)
  hens study find TEXT                     studies whose name contains TEXT
  hens study delete <id>                   delete a study with its trials (cancel a running one first)
  hens study enqueue <id> -f configs.yaml  evaluate these configurations first (a list of name: value)`;

export class StudyCommandError extends Error {}

interface Io {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
}

/** Runs `hens study <verb>` when it is one of these; undefined when it is not. */
export async function studyManageCommand(
  client: HensClient,
  org: string,
  args: {
    verb: string | undefined;
    id: string | undefined;
    name?: string | undefined;
    file?: string | undefined;
  },
  io: Io,
): Promise<number | undefined> {
  const out = (line: string) => io.stdout.write(`${line}\n`);
  switch (args.verb) {
    case "get": {
      if (!args.name) return undefined; // `study get <id>` stays the plain read
      const { items } = await client.listStudies(org, { name: args.name, take: 100 });
      if (items.length === 0) {
        io.stderr.write(`no study named ${JSON.stringify(args.name)}\n`);
        return 1;
      }
      // Names need not be unique: every match, newest first, one id a line.
      for (const s of items) out(s.id);
      return 0;
    }
    case "find": {
      if (!args.id) throw new StudyCommandError("hens study find TEXT");
      const { items } = await client.listStudies(org, { q: args.id, take: 100 });
      for (const s of items) {
        const failed = s.trialCounts.FAIL > 0 ? ` (${s.trialCounts.FAIL} failed)` : "";
        out(`${s.id}  ${s.state.padEnd(9)} ${s.trialsDone}/${s.maxTrials}${failed}  ${s.name}`);
      }
      return 0;
    }
    case "delete": {
      if (!args.id) throw new StudyCommandError("hens study delete <id>");
      const res = await client.deleteStudy(org, args.id);
      out(`${res.id}  deleted with ${res.trials} trials`);
      return 0;
    }
    case "enqueue": {
      if (!args.id || !args.file) throw new StudyCommandError("hens study enqueue <id> -f configs.yaml");
      const doc = parseYaml(await readFile(args.file, "utf8")) as unknown;
      const configurations = (Array.isArray(doc) ? doc : [doc]) as Record<string, ParamValue>[];
      const res = await client.enqueueConfigurations(org, args.id, configurations);
      for (const id of res.trialIds) out(id);
      if (res.duplicates > 0) io.stderr.write(`${res.duplicates} already in the study: skipped\n`);
      return 0;
    }
    default:
      return undefined;
  }
}
