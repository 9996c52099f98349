"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { useTRPC } from "@/trpc/react";
import { Button, Card, Field, inputClass } from "./ui";

/** Base64 of a file's bytes, in chunks (String.fromCharCode over a whole large file overflows the stack). */
async function base64Of(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/**
 * Upload a theory (docs/api.md "Theories"): theory.json alone, or theory-meta.json with theory.npz, as
 * scripts/theory-example.ts writes them. The server checks it (off its event loop) and names the
 * array and index at fault.
 */
export function TheoryUpload({ org }: { org: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const upload = useMutation(
    trpc.dataset.upload.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.dataset.list.queryKey({ org }) }),
      onError: (err) =>
        setErrors(
          (err.data as { fieldErrors?: Record<string, string> | null } | undefined)?.fieldErrors ?? {
            _: err.message,
          },
        ),
    }),
  );
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setErrors({});
    upload.reset();
    const files = form.getAll("theory-files").filter((f): f is File => f instanceof File && f.size > 0);
    const json = files.filter((f) => f.name.endsWith(".json"));
    const npz = files.filter((f) => f.name.endsWith(".npz"));
    if (json.length !== 1 || npz.length > 1 || files.length !== json.length + npz.length)
      return setErrors({ theory: "choose theory.json, or theory-meta.json with theory.npz" });
    let parsed: unknown;
    try {
      parsed = JSON.parse(await json[0]!.text());
    } catch (err) {
      return setErrors({ theory: `${json[0]!.name} is not JSON: ${(err as Error).message}` });
    }
    const name = String(form.get("theory-name") ?? "");
    upload.mutate(
      npz[0]
        ? { org, format: "theory", name, meta: parsed, npz: await base64Of(npz[0]) }
        : { org, format: "theory", name, theory: parsed },
    );
  }
  const fileError = errors["theory"] ?? errors["npz"] ?? errors["meta"] ?? errors["arrays"];
  const other = Object.entries(errors).filter(
    ([k]) => !["name", "theory", "npz", "meta", "arrays"].includes(k),
  );
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
            hint="theory.json, or theory-meta.json with theory.npz (scripts/theory-example.ts writes both)"
          >
            <input
              id="theory-files"
              name="theory-files"
              type="file"
              multiple
              accept=".json,.npz"
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
