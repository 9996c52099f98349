"use client";

import { useState } from "react";
import { useTRPCClient } from "@/trpc/react";
import { download } from "../charts/export";
import { Button, readableError } from "../ui";
import { gzip, tarArchive } from "./tar";

/** Every replica's outputs on the grid as CSV: one row per replica and grid point, one column per output. */
export function replicasCsv(json: {
  x: number[];
  outputNames: string[];
  outputs: (number | null)[][];
  summary: unknown;
}): string {
  const kept = new Set((json.summary as { selection?: { kept?: number[] } }).selection?.kept ?? []);
  const replicas = (json.summary as { replicas?: { replica: number }[] }).replicas ?? [];
  const F = json.outputNames.length;
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const rows = [["replica", "kept", "x", ...json.outputNames].map(quote).join(",")];
  json.outputs.forEach((out, r) => {
    const replica = replicas[r]?.replica ?? r;
    json.x.forEach((x, g) => {
      const values = Array.from({ length: F }, (_, f) => out[g * F + f] ?? "");
      rows.push([replica, kept.has(replica) ? 1 : 0, x, ...values].join(","));
    });
  });
  return `${rows.join("\n")}\n`;
}

/** The exports of a COMPLETED fit (fit.export): the LHAPDF set as .tar.gz, replicas JSON/CSV, weights. */
export function FitDownloads({ org, fitId }: { org: string; fitId: string }) {
  const client = useTRPCClient();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  async function save(kind: "lhapdf" | "json" | "csv" | "weights") {
    setBusy(kind);
    setError(null);
    try {
      const format = kind === "csv" ? "json" : kind;
      const body = await client.fit.export.query({ org, fitId, format });
      if (kind === "lhapdf") {
        const set = `hens_${fitId}`;
        const tar = tarArchive(set, (body as { files: Record<string, string> }).files);
        download(new Blob([(await gzip(tar)) as BlobPart], { type: "application/gzip" }), `${set}.tar.gz`);
      } else if (kind === "csv") {
        const csv = replicasCsv(body as Parameters<typeof replicasCsv>[0]);
        download(new Blob([csv], { type: "text/csv" }), `${fitId}.replicas.csv`);
      } else {
        const name = kind === "json" ? `${fitId}.replicas.json` : `${fitId}.weights.json`;
        download(new Blob([JSON.stringify(body)], { type: "application/json" }), name);
      }
    } catch (err) {
      setError(readableError(err as { message: string }));
    } finally {
      setBusy(null);
    }
  }
  const items = [
    ["lhapdf", "LHAPDF set (.tar.gz)"],
    ["json", "Replicas on the grid (JSON)"],
    ["csv", "Replicas on the grid (CSV)"],
    ["weights", "Weights (JSON)"],
  ] as const;
  return (
    <div className="flex flex-wrap items-center gap-2" data-testid="fit-downloads">
      {items.map(([kind, label]) => (
        <Button key={kind} onClick={() => void save(kind)} disabled={busy !== null}>
          {busy === kind ? "Preparing…" : label}
        </Button>
      ))}
      {error ? (
        <p role="alert" className="text-sm text-red-700 dark:text-red-300">
          {error}
        </p>
      ) : null}
    </div>
  );
}
