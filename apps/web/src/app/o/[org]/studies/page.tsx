"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { use } from "react";
import { Card, fmt, StateBadge } from "@/components/ui";
import { useTRPC } from "@/trpc/react";

export default function StudiesPage({ params }: { params: Promise<{ org: string }> }) {
  const { org } = use(params);
  const trpc = useTRPC();
  const studies = useQuery({ ...trpc.study.list.queryOptions({ org, take: 50 }), refetchInterval: 10_000 });
  return (
    <div className="space-y-4">
      <div className="flex items-center justify-between">
        <h1 className="text-2xl font-semibold">Studies</h1>
        <Link
          href={`/o/${org}/studies/new`}
          className="rounded bg-indigo-600 px-3 py-2 text-sm font-medium text-white"
        >
          New study
        </Link>
      </div>
      <Card>
        {studies.isLoading ? <p>Loading…</p> : null}
        {studies.error ? <p role="alert">{studies.error.message}</p> : null}
        {studies.data && studies.data.items.length === 0 ? <p>No studies yet.</p> : null}
        {studies.data && studies.data.items.length > 0 ? (
          <table className="w-full text-left text-sm">
            <thead className="text-slate-500">
              <tr>
                <th className="py-2">Name</th>
                <th>State</th>
                <th>Trials</th>
                <th>Best L1</th>
                <th>Sampler</th>
                <th>Runner time</th>
                <th>Owner</th>
              </tr>
            </thead>
            <tbody>
              {studies.data.items.map((s) => (
                <tr key={s.id} className="border-t border-slate-100 dark:border-slate-800">
                  <td className="py-2">
                    <Link className="text-indigo-600 hover:underline" href={`/o/${org}/studies/${s.id}`}>
                      {s.name}
                    </Link>
                  </td>
                  <td>
                    <StateBadge state={s.state} />
                  </td>
                  <td>
                    {s.trialsDone} / {s.maxTrials}
                  </td>
                  <td>{fmt(s.bestValue)}</td>
                  <td>{s.sampler}</td>
                  <td>{s.gpuSeconds.toFixed(1)} s</td>
                  <td>{s.owner}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </Card>
    </div>
  );
}
