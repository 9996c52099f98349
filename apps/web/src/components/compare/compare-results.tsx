"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { Histogram, MultiHistory } from "@/components/charts";
import { EdfChart } from "@/components/charts/search";
import {
  Card,
  ErrorState,
  fmt,
  formatParams,
  Loading,
  linkClass,
  rowClass,
  StateBadge,
  TableHead,
  tableClass,
} from "@/components/ui";
import { useTRPC } from "@/trpc/react";

/** 2–6 studies side by side: best-so-far, loss distributions, selected configurations. */
export function CompareResults({ org, ids }: { org: string; ids: string[] }) {
  const trpc = useTRPC();
  const compare = useQuery({
    ...trpc.study.compare.queryOptions({ org, studyIds: ids }),
    enabled: ids.length >= 2,
  });
  const studies = compare.data?.studies ?? [];
  return (
    <>
      {compare.isLoading && ids.length >= 2 ? <Loading what="comparison" /> : null}
      <ErrorState error={compare.error} what="comparison" />
      {studies.length > 0 ? (
        <>
          <Card title="Best so far">
            <MultiHistory
              series={studies.map((s) => ({ name: s.name, history: s.history, lastTrial: s.lastTrial }))}
            />
          </Card>
          <Card title="L1 distribution (EDF)">
            <EdfChart
              series={studies.map((s) => ({ name: s.name, values: s.L1 }))}
              xLabel="L1 (mean held-out χ²)"
              label="Empirical distribution of L1 per study"
            />
          </Card>
          <div className="grid grid-cols-1 gap-4 lg:grid-cols-3">
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
            <div className="relative overflow-x-auto">
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
    </>
  );
}
