"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, use, useMemo, useState } from "react";
import { TheoryUpload } from "@/components/theory-upload";
import {
  Button,
  Card,
  ConfirmButton,
  ErrorState,
  Field,
  inputClass,
  Loading,
  PageHeader,
  rowClass,
  TableHead,
  tableClass,
  theadClass,
} from "@/components/ui";
import { useTRPC } from "@/trpc/react";

const EXAMPLE = `x,y,y_err
0.1,1.02,0.05
0.2,1.11,0.05
0.3,1.25,0.06
0.4,1.31,0.06
0.5,1.48,0.07
0.6,1.52,0.07
0.7,1.69,0.08
0.8,1.75,0.08
`;

function splitLine(line: string) {
  return line.split(",").map((c) => c.trim().replace(/^"|"$/g, ""));
}

/** The first rows and per-column checks, computed in the browser before anything is sent. */
function preview(csv: string) {
  const lines = csv.split(/\r?\n/).filter((l) => l.trim() !== "" && !l.startsWith("#"));
  const header = splitLine(lines[0] ?? "");
  const rows = lines.slice(1).map((line, n) => ({
    line: n + 2,
    cells: splitLine(line).map((value, c) => ({ key: `${n}:${c}`, value })),
  }));
  const bad = header.map((_, c) => rows.filter((r) => !Number.isFinite(Number(r.cells[c]?.value))).length);
  const columns = header.map((name, c) => ({ key: `${c}:${name}`, name, bad: bad[c] ?? 0 }));
  return { header, rows, columns };
}

const list = (s: string) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);

export default function DatasetsPage({ params }: { params: Promise<{ org: string }> }) {
  const { org } = use(params);
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const datasets = useQuery(trpc.dataset.list.queryOptions({ org }));
  const [csv, setCsv] = useState(EXAMPLE);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const upload = useMutation(
    trpc.dataset.upload.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.dataset.list.queryKey({ org }) }),
      onError: (err) =>
        setErrors(
          (err.data as { fieldErrors?: Record<string, string> } | undefined)?.fieldErrors ?? {
            _: err.message,
          },
        ),
    }),
  );
  const remove = useMutation(
    trpc.dataset.delete.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.dataset.list.queryKey({ org }) }),
    }),
  );
  const [subsetColumn, setSubsetColumn] = useState("");
  const p = useMemo(() => preview(csv), [csv]);
  // Each fold holds out one sub-dataset: say how many this upload has before anything is sent.
  const subsets = useMemo(() => {
    const c = p.header.indexOf(subsetColumn.trim());
    if (!subsetColumn.trim()) return { count: p.rows.length > 0 ? 1 : 0, known: true };
    if (c < 0) return { count: 0, known: false };
    return { count: new Set(p.rows.map((r) => r.cells[c]?.value ?? "")).size, known: true };
  }, [p, subsetColumn]);

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setErrors({});
    upload.reset();
    upload.mutate({
      org,
      format: "csv",
      name: String(form.get("ds-name") ?? ""),
      csv,
      inputs: list(String(form.get("ds-inputs") ?? "")),
      targets: list(String(form.get("ds-targets") ?? "")),
      errors: list(String(form.get("ds-errors") ?? "")),
      ...(subsetColumn.trim() ? { subset: subsetColumn.trim() } : {}),
    });
  }

  return (
    <div className="space-y-4">
      <PageHeader title="Datasets" />
      <Card title="Upload a CSV">
        <form onSubmit={submit} noValidate className="space-y-4" aria-label="Upload dataset">
          <div className="grid grid-cols-1 gap-4 md:grid-cols-4">
            <Field id="ds-name" label="Name" error={errors["name"]}>
              <input id="ds-name" name="ds-name" className={inputClass} defaultValue="" />
            </Field>
            <Field id="ds-inputs" label="Input columns" error={errors["inputs"]} hint="comma-separated">
              <input id="ds-inputs" name="ds-inputs" className={inputClass} defaultValue="x" />
            </Field>
            <Field id="ds-targets" label="Target columns" error={errors["targets"]}>
              <input id="ds-targets" name="ds-targets" className={inputClass} defaultValue="y" />
            </Field>
            <Field id="ds-errors" label="Error columns" error={errors["errors"]} hint="one per target">
              <input id="ds-errors" name="ds-errors" className={inputClass} defaultValue="y_err" />
            </Field>
          </div>
          <div className="grid grid-cols-1 gap-4 md:grid-cols-2">
            <Field
              id="ds-subset"
              label="Sub-dataset column (optional)"
              error={errors["subset"]}
              hint="rows with the same value form one sub-dataset (an experiment); each fold holds one out"
            >
              <input
                id="ds-subset"
                name="ds-subset"
                className={inputClass}
                value={subsetColumn}
                placeholder="e.g. experiment"
                onChange={(e) => setSubsetColumn(e.target.value)}
                aria-invalid={Boolean(errors["subset"]) || !subsets.known}
              />
            </Field>
            <p className="self-end text-sm" data-testid="subset-count" aria-live="polite">
              {subsets.known
                ? `${subsets.count} ${subsets.count === 1 ? "sub-dataset" : "sub-datasets"}: studies on it take at most ${subsets.count} ${subsets.count === 1 ? "fold" : "folds"}.`
                : `No column "${subsetColumn.trim()}" in the header.`}
            </p>
          </div>
          <Field id="ds-csv" label="CSV text (or load a file)" error={errors["csv"] ?? errors["covariance"]}>
            <textarea
              id="ds-csv"
              rows={8}
              value={csv}
              onChange={(e) => setCsv(e.target.value)}
              className={`${inputClass} font-mono`}
            />
          </Field>
          <label className="flex flex-wrap items-center gap-2 text-sm">
            <span>CSV file</span>
            <input
              type="file"
              className="max-w-full"
              accept=".csv,text/csv"
              onChange={async (e) => {
                const f = e.target.files?.[0];
                if (f) setCsv(await f.text());
              }}
            />
          </label>
          <section aria-label="Preview" data-testid="dataset-preview">
            <h3 className="text-sm font-medium">
              Preview: {p.rows.length} rows × {p.header.length} columns
            </h3>
            <div className="relative max-h-60 overflow-auto">
              <table className={`${tableClass} font-mono text-xs`}>
                <thead className={theadClass}>
                  <tr>
                    {p.columns.map((col) => (
                      <th key={col.key} scope="col" className="pr-3">
                        {col.name}
                        {col.bad ? (
                          <span className="ml-1 text-red-700 dark:text-red-300">({col.bad} not numeric)</span>
                        ) : null}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {p.rows.slice(0, 10).map((r) => (
                    <tr key={r.line} className={rowClass}>
                      {r.cells.map((c) => (
                        <td
                          key={c.key}
                          className={`pr-3 ${Number.isFinite(Number(c.value)) ? "" : "text-red-700 dark:text-red-300"}`}
                        >
                          {c.value}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
          {errors["_"] ? (
            <p role="alert" className="text-sm text-red-700 dark:text-red-300">
              {errors["_"]}
            </p>
          ) : null}
          <Button kind="primary" type="submit" disabled={upload.isPending}>
            {upload.isPending ? "Validating…" : "Validate and store"}
          </Button>
          {upload.data ? (
            <p role="status" className="text-sm text-green-800 dark:text-green-300" data-testid="dataset-ok">
              Valid: stored “{upload.data.name}” with {upload.data.nPoints} points in{" "}
              {((upload.data.summary as { subsets?: unknown[] } | null)?.subsets ?? []).length} sub-datasets.
            </p>
          ) : null}
        </form>
      </Card>
      <TheoryUpload org={org} />
      <Card title="Datasets of this organisation">
        {datasets.isLoading ? <Loading what="datasets" /> : null}
        <ErrorState error={datasets.error} what="datasets" />
        {datasets.data ? (
          <div className="relative overflow-x-auto">
            <table className={tableClass} data-testid="datasets-table">
              <TableHead
                columns={["Name", "Kind", "Points", "Sub-datasets", "Created", { srOnly: "Actions" }]}
              />
              <tbody>
                {datasets.data.items.map((d) => (
                  <tr key={d.id} className={rowClass}>
                    <td className="py-2 pr-3">{d.name}</td>
                    <td className="pr-3">{d.kind}</td>
                    <td className="pr-3">{d.nPoints ?? "–"}</td>
                    <td className="pr-3">
                      {d.builtin
                        ? "6 foldable"
                        : ((d.summary as { subsets?: unknown[] } | null)?.subsets ?? []).length}
                    </td>
                    <td className="pr-3">
                      {d.createdAt ? new Date(d.createdAt).toLocaleString() : "built in"}
                    </td>
                    <td className="pr-3">
                      {d.builtin ? null : (
                        <ConfirmButton
                          kind="danger"
                          aria-label={`Delete ${d.name}`}
                          question={`Delete the dataset “${d.name}”? This cannot be undone.`}
                          onConfirm={() => remove.mutate({ org, datasetId: d.id })}
                        >
                          Delete
                        </ConfirmButton>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        {remove.error ? (
          <p role="alert" className="mt-2 text-sm text-red-700 dark:text-red-300">
            {remove.error.message}
          </p>
        ) : null}
      </Card>
    </div>
  );
}
