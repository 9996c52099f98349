import { z } from "zod";

// Team features (issue 20): the limits on tags and notes, shared by the API's schemas and the
// browser's inputs (so a form refuses what the server would).

export const TAG_MAX_LENGTH = 40;
export const MAX_TAGS = 20;
export const NOTE_MAX_CHARS = 10_000;
export const TAG_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N}._:+/-]*$/u;
export const TAG_CHARSET_MESSAGE =
  "a tag is letters, digits and . _ : + / - (no spaces), starting with a letter or digit";

/** One tag: trimmed and lower-cased (tags are compared without case), then checked. */
export function zTag(field: string) {
  return z
    .string({ error: `${field} must be text` })
    .trim()
    .toLowerCase()
    .min(1, { error: `${field} is empty` })
    .max(TAG_MAX_LENGTH, { error: `${field} must be at most ${TAG_MAX_LENGTH} characters` })
    .regex(TAG_PATTERN, { error: `${field}: ${TAG_CHARSET_MESSAGE}` });
}

/** The message a browser input shows for `text`, or null when the server would accept it. */
export function tagProblem(text: string): string | null {
  const parsed = zTag("tag").safeParse(text);
  return parsed.success ? null : (parsed.error.issues[0]?.message ?? "invalid tag");
}
