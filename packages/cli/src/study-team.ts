import { readFile } from "node:fs/promises";
import type { HensClient } from "./client.ts";
import { StudyCommandError } from "./study-manage.ts";

/** Team commands (issue 20): tags, notes and archive on studies. */
export const STUDY_TEAM_USAGE = `  hens study tag <id> TAG...                add tags (lower-cased; letters, digits, . _ : + / -)
  hens study untag <id> TAG...              remove tags
  hens study note <id> TEXT | -f note.txt   set the study's note ("" removes it)
  hens study archive|unarchive <id>         archive (leaves the default list; a running study keeps running)`;

/** Each command with its usage line (cli.ts's COMMANDS table). */
export const STUDY_TEAM_COMMANDS: Record<string, { id: string }> = {
  "study tag": { id: "hens study tag <id> TAG..." },
  "study untag": { id: "hens study untag <id> TAG..." },
  "study note": { id: "hens study note <id> TEXT | -f note.txt" },
  "study archive": { id: "hens study archive <id>" },
  "study unarchive": { id: "hens study unarchive <id>" },
};

interface Io {
  stdout: { write(chunk: string): unknown };
}

/** Runs `hens study <verb>` when it is a team command; undefined when it is not. */
export async function studyTeamCommand(
  client: HensClient,
  org: string,
  args: { verb: string | undefined; id: string; rest: string[]; file: string | undefined },
  io: Io,
): Promise<number | undefined> {
  const out = (line: string) => io.stdout.write(`${line}\n`);
  switch (args.verb) {
    case "tag":
    case "untag": {
      if (args.rest.length === 0) throw new StudyCommandError(STUDY_TEAM_COMMANDS[`study ${args.verb}`]!.id);
      const res = await client.tagStudy(
        org,
        args.id,
        args.verb === "tag" ? { add: args.rest } : { remove: args.rest },
      );
      out(res.tags.join(" "));
      return 0;
    }
    case "note": {
      if (args.file === undefined && args.rest.length === 0)
        throw new StudyCommandError(STUDY_TEAM_COMMANDS["study note"]!.id);
      const text = args.file !== undefined ? await readFile(args.file, "utf8") : args.rest.join(" ");
      const res = await client.noteStudy(org, args.id, text.trim() ? text : null);
      out(res.note === null ? "note removed" : `note saved (${res.note.length} characters)`);
      return 0;
    }
    case "archive":
    case "unarchive": {
      const res = await client.archiveStudy(org, args.id, args.verb === "archive");
      out(res.archivedAt ? `archived ${res.archivedAt}` : "not archived");
      return 0;
    }
    default:
      return undefined;
  }
}
