"use client";

import Link from "next/link";
import { useId, useState } from "react";
import { MAX_TAGS, NOTE_MAX_CHARS, TAG_MAX_LENGTH, tagProblem } from "@/lib/team-limits";
import { Button, focusRing, inputClass, readableError } from "../ui";

// Tags and notes (issue 20), one editor each for studies and trials. Writes go through the caller's
// mutation; the server decides who may write (a viewer's attempt shows its refusal here).

type MutationError = { message: string; data?: unknown } | null;

export const tagChipClass =
  "inline-flex items-center gap-1 rounded-full bg-indigo-50 px-2 py-0.5 text-xs font-medium text-indigo-900 dark:bg-indigo-950 dark:text-indigo-100";

/** A tag as a chip; with `href` it links to the studies list filtered by it. */
export function TagChip({ tag, href }: { tag: string; href?: string }) {
  return href ? (
    <Link href={href} className={`${tagChipClass} hover:underline ${focusRing}`} data-testid="tag">
      {tag}
    </Link>
  ) : (
    <span className={tagChipClass} data-testid="tag">
      {tag}
    </span>
  );
}

export function TagEditor({
  tags,
  onChange,
  pending,
  error,
  hrefOf,
  label,
}: {
  tags: readonly string[];
  onChange: (change: { add?: string[]; remove?: string[] }) => void;
  pending: boolean;
  error: MutationError;
  hrefOf?: (tag: string) => string;
  label: string;
}) {
  const id = useId();
  const [draft, setDraft] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const add = () => {
    const text = draft.trim();
    const why = text ? tagProblem(text) : "type a tag first";
    if (!why && tags.length >= MAX_TAGS) return setProblem(`at most ${MAX_TAGS} tags`);
    setProblem(why);
    if (why) return;
    onChange({ add: [text] });
    setDraft("");
  };
  return (
    <div data-testid="tag-editor">
      <ul className="flex flex-wrap items-center gap-1" aria-label={`${label} tags`}>
        {tags.length === 0 ? (
          <li className="text-xs text-slate-600 dark:text-slate-400">No tags yet.</li>
        ) : null}
        {tags.map((tag) => (
          <li key={tag} className="inline-flex items-center gap-0.5">
            <TagChip tag={tag} {...(hrefOf ? { href: hrefOf(tag) } : {})} />
            <button
              type="button"
              className={`rounded px-1 text-xs text-slate-600 hover:text-red-700 dark:text-slate-300 ${focusRing}`}
              aria-label={`Remove tag ${tag}`}
              disabled={pending}
              onClick={() => onChange({ remove: [tag] })}
            >
              ✕
            </button>
          </li>
        ))}
      </ul>
      <form
        className="mt-2 flex flex-wrap items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          add();
        }}
      >
        <div className="min-w-0 flex-1">
          <label htmlFor={`${id}-tag`} className="sr-only">
            Add a tag to this {label}
          </label>
          <input
            id={`${id}-tag`}
            value={draft}
            maxLength={TAG_MAX_LENGTH}
            placeholder="add a tag (e.g. baseline)"
            onChange={(e) => setDraft(e.target.value)}
            aria-invalid={problem ? true : undefined}
            aria-describedby={problem ? `${id}-tag-error` : undefined}
            className={`${inputClass} !mt-0`}
            data-testid="tag-input"
          />
        </div>
        <Button type="submit" disabled={pending}>
          Add tag
        </Button>
      </form>
      {problem || error ? (
        <p id={`${id}-tag-error`} role="alert" className="mt-1 text-sm text-red-700 dark:text-red-300">
          {problem ?? (error ? readableError(error, { "add.0": "tag", add: "tags" }) : "")}
        </p>
      ) : null}
    </div>
  );
}

export function NoteEditor({
  note,
  onSave,
  pending,
  error,
  label,
}: {
  note: string | null;
  onSave: (note: string | null) => void;
  pending: boolean;
  error: MutationError;
  label: string;
}) {
  const id = useId();
  const [draft, setDraft] = useState(note ?? "");
  // A note saved elsewhere (another member, another tab) replaces the draft while it is unedited:
  // state adjusted during render, React's pattern for following a prop.
  const [saved, setSaved] = useState(note);
  if (note !== saved) {
    setSaved(note);
    if (draft === (saved ?? "")) setDraft(note ?? "");
  }
  const changed = draft !== (note ?? "");
  return (
    <form
      className="space-y-2"
      onSubmit={(e) => {
        e.preventDefault();
        onSave(draft.trim() ? draft : null);
      }}
      data-testid="note-editor"
    >
      <label htmlFor={`${id}-note`} className="block text-sm font-medium">
        Note on this {label}
      </label>
      <textarea
        id={`${id}-note`}
        value={draft}
        maxLength={NOTE_MAX_CHARS}
        rows={3}
        onChange={(e) => setDraft(e.target.value)}
        className={inputClass}
        placeholder="What the team should know (shared with the organization)"
      />
      <div className="flex flex-wrap items-center gap-2">
        <Button type="submit" disabled={pending || !changed}>
          Save note
        </Button>
        <span className="text-xs text-slate-600 dark:text-slate-400">
          {draft.length.toLocaleString()} / {NOTE_MAX_CHARS.toLocaleString()}
          {!changed && note ? " · saved" : ""}
        </span>
      </div>
      {error ? (
        <p role="alert" className="text-sm text-red-700 dark:text-red-300">
          {readableError(error)}
        </p>
      ) : null}
    </form>
  );
}
