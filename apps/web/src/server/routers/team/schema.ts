import { z } from "zod";
import { MAX_TAGS, NOTE_MAX_CHARS, zTag } from "../../../lib/team-limits";

const studyId = z.string({ error: "studyId is required" }).min(1, { error: "studyId is required" });
const trialNumber = z
  .number({ error: "number must be a number" })
  .int({ error: "number must be a whole number" })
  .min(0, { error: "number must be at least 0" })
  .max(2147483647, { error: "number is too large" });

const tagList = (field: string) =>
  z
    .array(zTag(`${field} item`), { error: `${field} must be a list of tags` })
    .max(MAX_TAGS, { error: `${field}: at most ${MAX_TAGS} tags` });

/** Add and/or remove tags in one atomic change (concurrent taggers do not overwrite each other). */
const tagChange = { add: tagList("add").default([]), remove: tagList("remove").default([]) };
const someChange = (c: { add: string[]; remove: string[] }) => c.add.length + c.remove.length > 0;
const noChange = { error: "add: give a tag to add or remove", path: ["add"] };

/** The body of a tag change (REST documents it; the procedures add the study and trial). */
export const ZTagChangeBody = z.object(tagChange);
export const ZTagStudy = z.object({ studyId, ...tagChange }).refine(someChange, noChange);
export const ZTagTrial = z
  .object({ studyId, number: trialNumber, ...tagChange })
  .refine(someChange, noChange);

/** A note replaces the previous one; null or "" removes it. */
const note = z
  .string({ error: "note must be text" })
  .max(NOTE_MAX_CHARS, { error: `note must be at most ${NOTE_MAX_CHARS} characters` })
  .nullable();
export const ZNoteStudy = z.object({ studyId, note });
export const ZNoteTrial = z.object({ studyId, number: trialNumber, note });

export const ZArchiveStudy = z.object({
  studyId,
  archived: z.boolean({ error: "archived must be true or false" }),
});

export interface TagChange {
  add: string[];
  remove: string[];
}
