"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { Suspense, use } from "react";
import { Histogram, MultiHistory } from "@/components/charts";
import {
  Card,
  EmptyState,
  ErrorState,
  fmt,
  formatParams,
  Loading,
  linkClass,
  PageHeader,
  rowClass,
  StateBadge,
  TableHead,
  tableClass,
} from "@/components/ui";
import { useTRPC } from "@/trpc/react";

export default function ComparePage({ params }: { params: Promise<{ org: string }> }) {
  const { org } = use(params);
  return (
    <Suspense fallback={<Loading what="comparison" />}>
      <Compare org={org} />
    </Suspense>
  );
}

function Compare({ org }: { org: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const search = useSearchParams();
  const ids = (search.get("ids") ?? "").split(",").filter(Boolean).slice(0, 6);
  const all = useQuery(trpc.study.list.queryOptions({ org, take: 100 }));
  const compare = useQuery({
    ...trpc.study.compare.queryOptions({ org, studyIds: ids }),
    enabled: ids.length >= 2,
  });
  const setIds = (next: string[]) => router.replace(`/o/${org}/compare?ids=${next.join(",")}`);
  const studies = compare.data?.studies ?? [];
  return (
    <div className="space-y-4">
      <PageHeader title="Compare studies" />
      <Card title="Studies to compare (2–6)">
        {all.isLoading ? <Loading what="studies" /> : null}
        <ErrorState error={all.error} what="studies" />
        {all.data && all.data.items.length < 2 ? (
          <EmptyState title="Comparing needs at least two studies.">
            Create another on the{" "}
            <Link className={linkClass} href={`/o/${org}/studies/new`}>
              New study
            </Link>{" "}
            page.
          </EmptyState>
        ) : null}
        <fieldset>
          <legend className="sr-only">Pick studies</legend>
          <ul className="grid gap-1 sm:grid-cols-2 lg:grid-cols-3">
            {all.data?.items.map((s) => {
              const checked = ids.includes(s.id);
              return (
                <li key={s.id}>
                  <label className="flex items-center gap-2 text-sm">
                    <input
                      type="checkbox"
                      checked={checked}
                      disabled={!checked && ids.length >= 6}
                      onChange={() => setIds(checked ? ids.filter((x) => x !== s.id) : [...ids, s.id])}
                    />
                    {s.name} <StateBadge state={s.state} />
                  </label>
                </li>
              );
            })}
          </ul>
        </fieldset>
      </Card>
      {ids.length < 2 ? (
        <EmptyState title="Pick at least two studies above.">
          Their histories and losses appear here side by side.
        </EmptyState>
      ) : null}
      {compare.isLoading && ids.length >= 2 ? <Loading what="comparison" /> : null}
      <ErrorState error={compare.error} what="comparison" />
      {studies.length > 0 ? (
        <>
          <Card title="Best so far">
            <MultiHistory
              series={studies.map((s) => ({ name: s.name, history: s.history, lastTrial: s.lastTrial }))}
            />
          </Card>
          <div className="grid gap-4 lg:grid-cols-3">
            <Card title="L1 distribution">
              <Histogram
                series={studies.map((s) => ({ name: s.name, values: s.L1 }))}
                xLabel="L1"
                label="Distributions of L1"
                testId="compare-l1"
              />
            </Card>
            <Card title="φ² distribution">
              <Histogram
                series={studies.map((s) => ({ name: s.name, values: s.phi2 }))}
                xLabel="φ²"
                label="Distributions of phi2"
              />
            </Card>
            <Card title="Run time distribution">
              <Histogram
                series={studies.map((s) => ({ name: s.name, values: s.seconds }))}
                xLabel="seconds per trial"
                label="Distributions of trial run time"
              />
            </Card>
          </div>
          <Card title="Selected configurations">
            <div className="overflow-x-auto">
              <table className={tableClass} data-testid="compare-table">
                <TableHead
                  columns={[
                    "Study",
                    "State",
                    "Completed",
                    "Sampler",
                    "Best L1",
                    "Selected",
                    "Selected L1",
                    "Selected φ²",
                    "Parameters",
                  ]}
                />
                <tbody>
                  {studies.map((s) => (
                    <tr key={s.id} className={rowClass} data-testid="compare-row">
                      <td className="py-2 pr-3">
                        <Link className={linkClass} href={`/o/${org}/studies/${s.id}`}>
                          {s.name}
                        </Link>
                      </td>
                      <td className="pr-3">
                        <StateBadge state={s.state} />
                      </td>
                      <td className="pr-3">
                        {s.completed} / {s.maxTrials}
                      </td>
                      <td className="pr-3">{s.sampler}</td>
                      <td className="pr-3">{fmt(s.argmin?.L1)}</td>
                      <td className="pr-3">{s.selected ? `#${s.selected.number}` : "–"}</td>
                      <td className="pr-3">{fmt(s.selected?.L1)}</td>
                      <td className="pr-3">{fmt(s.selected?.phi2)}</td>
                      <td className="max-w-md pr-3 font-mono text-xs">
                        {s.selected ? formatParams(s.selected.params) : "–"}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </Card>
        </>
      ) : null}
    </div>
  );
}
