"use client";

import type { CreateStudyInput } from "@hyperensemble/platform/schema";
import { type FormEvent, useEffect, useMemo, useState } from "react";
import { checkSpec, EXAMPLE_SPEC } from "@/lib/spec";
import { Button, focusRing } from "./ui";

export type CreateResult = { ok: true } | { ok: false; fieldErrors: Record<string, string> };

/** Paste or type a spec; every keystroke is checked with the API's schema, messages name field and line. */
export function SpecEditor({
  pending,
  onSubmit,
}: {
  pending: boolean;
  onSubmit: (spec: CreateStudyInput) => Promise<CreateResult>;
}) {
  const [text, setText] = useState(EXAMPLE_SPEC);
  const [debounced, setDebounced] = useState(text);
  const [serverErrors, setServerErrors] = useState<Record<string, string>>({});
  useEffect(() => {
    const t = setTimeout(() => setDebounced(text), 150);
    return () => clearTimeout(t);
  }, [text]);
  const check = useMemo(() => checkSpec(debounced), [debounced]);
  const serverIssues = Object.entries(serverErrors).map(([path, message]) => ({
    path,
    message,
    line: undefined,
  }));
  const issues = check.issues.length > 0 ? check.issues : serverIssues;

  async function submit(event: FormEvent) {
    event.preventDefault();
    const now = checkSpec(text);
    setDebounced(text);
    if (!now.spec) return;
    setServerErrors({});
    const result = await onSubmit(now.spec);
    if (!result.ok) setServerErrors(result.fieldErrors);
  }

  const lineCount = text.split("\n").length;
  return (
    <form onSubmit={submit} noValidate className="space-y-3" aria-label="Create study from a spec">
      <div className="flex items-center justify-between">
        <label htmlFor="spec" className="block text-sm font-medium">
          Study spec (YAML or JSON)
        </label>
        <div className="flex gap-2">
          <Button onClick={() => setText(EXAMPLE_SPEC)}>Reset to example</Button>
          <label
            className={`cursor-pointer rounded border border-slate-300 px-3 py-1.5 text-sm dark:border-slate-600 ${focusRing}`}
          >
            Load file
            <input
              type="file"
              accept=".yaml,.yml,.json"
              className="sr-only"
              onChange={async (e) => {
                const file = e.target.files?.[0];
                if (file) setText(await file.text());
              }}
            />
          </label>
        </div>
      </div>
      <div className="flex rounded border border-slate-400 font-mono text-sm dark:border-slate-600">
        <pre
          aria-hidden="true"
          className="select-none leading-5 border-r border-slate-200 px-2 py-2 text-right text-slate-600 dark:border-slate-700 dark:text-slate-400"
        >
          {Array.from({ length: lineCount }, (_, i) => {
            const bad = issues.some((x) => x.line === i + 1);
            return (
              // biome-ignore lint/suspicious/noArrayIndexKey: line numbers
              <div key={i} className={bad ? "font-bold text-red-700 dark:text-red-300" : ""}>
                {i + 1}
              </div>
            );
          })}
        </pre>
        <textarea
          id="spec"
          value={text}
          spellCheck={false}
          rows={Math.max(16, lineCount)}
          onChange={(e) => setText(e.target.value)}
          aria-invalid={issues.length > 0}
          aria-describedby="spec-status"
          className={`w-full resize-y bg-white px-2 py-2 leading-5 dark:bg-slate-900 ${focusRing}`}
          style={{ lineHeight: "1.25rem" }}
        />
      </div>
      <div id="spec-status" aria-live="polite">
        {issues.length > 0 ? (
          <div role="alert" data-testid="spec-errors">
            <ul className="space-y-1 text-sm text-red-700 dark:text-red-300">
              {issues.map((i) => (
                <li key={`${i.path}:${i.message}`} data-path={i.path}>
                  {i.line ? (
                    <span className="mr-2 font-mono">
                      line {i.line}
                      {i.column ? `, column ${i.column}` : ""}
                    </span>
                  ) : null}
                  {i.path === "(syntax)" ? null : (
                    <>
                      <code className="font-semibold">{i.path}</code>:{" "}
                    </>
                  )}
                  {i.message}
                </li>
              ))}
            </ul>
          </div>
        ) : (
          <p className="text-sm text-green-800 dark:text-green-300" data-testid="spec-ok">
            Valid spec: {check.spec?.name}, {check.spec?.trials} trials × {check.spec?.replicas} replicas.
          </p>
        )}
      </div>
      <Button kind="primary" type="submit" disabled={pending || check.issues.length > 0}>
        {pending ? "Creating…" : "Create study from spec"}
      </Button>
    </form>
  );
}
