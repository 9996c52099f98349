"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { useTRPC } from "@/trpc/react";
import { Button, Card, Field, inputClass } from "./ui";

/** A refused upload's message and the fields it names (the REST error body, docs/api.md "Errors"). */
class UploadError extends Error {
  constructor(
    message: string,
    readonly fieldErrors: Record<string, string> | null,
  ) {
    super(message);
  }
}

interface StoredDataset {
  id: string;
  name: string;
  nPoints: number;
  summary: unknown;
}

/**
 * The files as the REST multipart upload takes them (POST /api/v1/orgs/{org}/datasets/theory, the
 * browser's session; docs/api.md "Large theories"): past the JSON body cap, and the server reads the
 * bytes in its validation worker. An .npy file is named by its array path, "/" written "." (as the
 * CLI's --npy subsets/0/fk=FILE names it): subsets.0.fk.npy, grid.npy, positivity.1.fk.npy.
 */
async function sendTheory(org: string, form: FormData): Promise<StoredDataset> {
  const res = await fetch(`/api/v1/orgs/${encodeURIComponent(org)}/datasets/theory`, {
    method: "POST",
    body: form,
    headers: { accept: "application/json" },
  });
  const body = (await res.json().catch(() => null)) as
    | (StoredDataset & { error?: { message: string; fieldErrors: Record<string, string> | null } })
    | null;
  if (!res.ok || !body)
    throw new UploadError(
      body?.error?.message ?? `upload failed (HTTP ${res.status})`,
      body?.error?.fieldErrors ?? null,
    );
  return body;
}

/**
 * Upload a theory (docs/api.md "Theories"): theory.json alone, or theory-meta.json with theory.npz or
 * with .npy files named by their array path, as scripts/theory-example.ts writes them. The server
 * checks it (off its event loop) and names the array and index at fault.
 */
export function TheoryUpload({ org }: { org: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const upload = useMutation({
    mutationFn: (form: FormData) => sendTheory(org, form),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.dataset.list.queryKey({ org }) }),
    onError: (err) => setErrors((err instanceof UploadError ? err.fieldErrors : null) ?? { _: err.message }),
  });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setErrors({});
    upload.reset();
    const files = form.getAll("theory-files").filter((f): f is File => f instanceof File && f.size > 0);
    const json = files.filter((f) => f.name.endsWith(".json"));
    const npz = files.filter((f) => f.name.endsWith(".npz"));
    const npy = files.filter((f) => f.name.endsWith(".npy"));
    if (
      json.length !== 1 ||
      npz.length > 1 ||
      (npz.length > 0 && npy.length > 0) ||
      files.length !== json.length + npz.length + npy.length
    )
      return setErrors({
        theory: "choose theory.json, or theory-meta.json with theory.npz or with .npy files",
      });
    const body = new FormData();
    body.append("name", String(form.get("theory-name") ?? ""));
    if (npz[0]) {
      body.append("meta", json[0]!);
      body.append("npz", npz[0]);
    } else if (npy.length > 0) {
      body.append("meta", json[0]!);
      for (const f of npy) body.append(f.name.replace(/\.npy$/, ""), f);
    } else body.append("theory", json[0]!);
    upload.mutate(body);
  }
  // a file's error: the theory, the meta, the .npz or an array (npz.<array>, arrays.<path>)
  const fileKey = Object.keys(errors).find((k) => /^(theory|npz|meta|arrays|body)(\.|$)/.test(k));
  const fileError = fileKey ? `${fileKey === "theory" ? "" : `${fileKey}: `}${errors[fileKey]}` : undefined;
  const other = Object.entries(errors).filter(([k]) => k !== "name" && k !== fileKey);
  return (
    <Card title="Upload a theory">
      <form onSubmit={(e) => void submit(e)} noValidate className="space-y-4" aria-label="Upload a theory">
        <div className="grid grid-cols-1 gap-4 md:grid-cols-2">
          <Field id="theory-name" label="Theory name" error={errors["name"]}>
            <input id="theory-name" name="theory-name" className={inputClass} />
          </Field>
          <Field
            id="theory-files"
            label="Theory files"
            error={fileError}
            hint="theory.json, or theory-meta.json with theory.npz or .npy files named by array path (subsets.0.fk.npy); scripts/theory-example.ts writes them"
          >
            <input
              id="theory-files"
              name="theory-files"
              type="file"
              multiple
              accept=".json,.npz,.npy"
              className={inputClass}
              aria-describedby={fileError ? "theory-files-error" : "theory-files-hint"}
            />
          </Field>
        </div>
        {other.length > 0 ? (
          <p role="alert" className="text-sm text-red-700 dark:text-red-300">
            {other.map(([k, v]) => (k === "_" ? v : `${k}: ${v}`)).join("; ")}
          </p>
        ) : null}
        <Button kind="primary" type="submit" disabled={upload.isPending}>
          {upload.isPending ? "Checking…" : "Check and store the theory"}
        </Button>
        {upload.data ? (
          <p role="status" className="text-sm text-green-800 dark:text-green-300" data-testid="theory-ok">
            Stored “{upload.data.name}” with {upload.data.nPoints} points in{" "}
            {((upload.data.summary as { subsets?: unknown[] } | null)?.subsets ?? []).length} sub-datasets.
          </p>
        ) : null}
      </form>
    </Card>
  );
}
