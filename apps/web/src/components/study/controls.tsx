"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useTRPC, useTRPCClient } from "@/trpc/react";
import { Button, ConfirmButton, focusRing, readableError } from "../ui";

function download(filename: string, body: string, type: string) {
  const url = URL.createObjectURL(new Blob([body], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Lifecycle buttons (each allowed only in the states the platform accepts) and exports. */
export function StudyControls({
  org,
  studyId,
  name,
  state,
  failed,
}: {
  org: string;
  studyId: string;
  name: string;
  state: string;
  /** Failed trials that can be rerun (trials stopped by Cancel are not among them). */
  failed: number;
}) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const router = useRouter();
  const [message, setMessage] = useState<string | null>(null);
  const [more, setMore] = useState("4");
  const onSettled = () => queryClient.invalidateQueries({ queryKey: trpc.study.pathKey() });
  const onError = (err: { message: string; data?: unknown }) =>
    setMessage(readableError(err, { count: "Trials to add" }));
  const pause = useMutation(trpc.study.pause.mutationOptions({ onSettled, onError }));
  const resume = useMutation(trpc.study.resume.mutationOptions({ onSettled, onError }));
  const cancel = useMutation(trpc.study.cancel.mutationOptions({ onSettled, onError }));
  const add = useMutation(trpc.study.addTrials.mutationOptions({ onSettled, onError }));
  const rerun = useMutation(trpc.study.rerunFailed.mutationOptions({ onSettled, onError }));
  const ref = { org, studyId };
  const active = state === "QUEUED" || state === "RUNNING";
  const terminal = state === "COMPLETED" || state === "CANCELLED" || state === "FAILED";
  const busy = [pause, resume, cancel, add, rerun].some((m) => m.isPending);
  const run = (m: { mutate: (v: typeof ref) => void }) => {
    setMessage(null);
    m.mutate(ref);
  };

  return (
    <div className="space-y-2">
      <fieldset className="flex min-w-0 flex-wrap items-end gap-2">
        <legend className="sr-only">Study actions</legend>
        <Button onClick={() => run(pause)} disabled={!active || busy}>
          Pause
        </Button>
        <Button onClick={() => run(resume)} disabled={state !== "PAUSED" || busy}>
          Resume
        </Button>
        <ConfirmButton
          kind="danger"
          disabled={terminal || busy}
          question={`Cancel "${name}"? Running trials stop and waiting ones are dropped.`}
          onConfirm={() => run(cancel)}
        >
          Cancel
        </ConfirmButton>
        <div className="flex items-end gap-1">
          <div>
            <label htmlFor="add-count" className="block text-xs font-medium">
              Trials to add
            </label>
            <input
              id="add-count"
              inputMode="numeric"
              value={more}
              onChange={(e) => setMore(e.target.value)}
              className={`w-20 rounded border border-slate-400 bg-white px-2 py-1 text-sm dark:border-slate-600 dark:bg-slate-800 ${focusRing}`}
            />
          </div>
          <Button
            disabled={state === "CANCELLED" || busy}
            onClick={() => {
              setMessage(null);
              const count = Number(more.trim());
              if (more.trim() === "" || !Number.isInteger(count) || count < 1) {
                setMessage("Trials to add must be a whole number, at least 1.");
                document.getElementById("add-count")?.focus();
                return;
              }
              add.mutate({ ...ref, count });
            }}
          >
            Add trials
          </Button>
        </div>
        {state === "CANCELLED" ? null : (
          <Button onClick={() => run(rerun)} disabled={failed === 0 || busy}>
            Rerun failed ({failed})
          </Button>
        )}
        <Button onClick={() => router.push(`/o/${org}/studies/new?from=${studyId}`)}>
          Clone into a new study…
        </Button>
        <Button
          onClick={async () => {
            const { filename, csv } = await client.export.studyCsv.query(ref);
            download(filename, csv, "text/csv");
          }}
        >
          Export CSV
        </Button>
        <Button
          onClick={async () => {
            const json = await client.export.studyJson.query(ref);
            download(
              `${name.replace(/[^\w.-]+/g, "_")}-study.json`,
              JSON.stringify(json, null, 2),
              "application/json",
            );
          }}
        >
          Export JSON
        </Button>
      </fieldset>
      {message ? (
        <p role="alert" className="text-sm text-red-700 dark:text-red-300">
          {message}
        </p>
      ) : null}
    </div>
  );
}
