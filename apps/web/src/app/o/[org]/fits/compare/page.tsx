"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { Suspense, use } from "react";
import { AxisToggle, DistanceChart, FitBandsChart } from "@/components/fit/fit-charts";
import { Card, EmptyState, ErrorState, Loading, linkClass, PageHeader } from "@/components/ui";
import { pick, useUrlState } from "@/components/url-state";
import { useTRPC } from "@/trpc/react";

export default function CompareFitsPage({ params }: { params: Promise<{ org: string }> }) {
  const { org } = use(params);
  return (
    <Suspense fallback={<Loading what="comparison" />}>
      <CompareFits org={org} />
    </Suspense>
  );
}

function CompareFits({ org }: { org: string }) {
  const trpc = useTRPC();
  const search = useSearchParams();
  const url = useUrlState();
  const a = search.get("a") ?? "";
  const b = search.get("b") ?? "";
  const axis = pick(url.get("x"), ["log", "linear"] as const, "log");
  const cmp = useQuery({ ...trpc.fit.compare.queryOptions({ org, a, b }), enabled: Boolean(a && b) });
  if (!a || !b)
    return (
      <EmptyState title="Two fits to compare">
        Open a study, tick two completed fits in its Final fits table, then follow “Compare”.
      </EmptyState>
    );
  const label = (f: { id: string; studyName: string; trialNumber: number }) =>
    `${f.studyName} #${f.trialNumber} (${f.id.slice(-6)})`;
  return (
    <div className="space-y-4">
      <PageHeader title="Compare fits">
        <AxisToggle axis={axis} onChange={(v) => url.set({ x: v === "log" ? null : v })} />
      </PageHeader>
      {cmp.error ? <ErrorState error={cmp.error} what="comparison" /> : null}
      {cmp.isLoading ? <Loading what="comparison" /> : null}
      {cmp.data ? (
        <>
          <p className="text-sm">
            A:{" "}
            <Link className={linkClass} href={`/o/${org}/fits/${cmp.data.a.id}`}>
              {label(cmp.data.a)}
            </Link>
            , {cmp.data.a.bands.replicas} kept replicas · B:{" "}
            <Link className={linkClass} href={`/o/${org}/fits/${cmp.data.b.id}`}>
              {label(cmp.data.b)}
            </Link>
            , {cmp.data.b.bands.replicas} kept replicas
          </p>
          <Card title="Bands overlaid">
            <FitBandsChart
              fits={[
                { label: "A", bands: cmp.data.a.bands },
                { label: "B", bands: cmp.data.b.bands },
              ]}
              axis={axis}
            />
          </Card>
          <Card title="Distance between the central values">
            <p className="mb-2 text-xs text-slate-600 dark:text-slate-400">
              d(x) = |f̄_A − f̄_B| / √(σ_A²/N_A + σ_B²/N_B): about 1 where the two fits agree within the
              statistics of their replicas (docs/method.md, “Comparing two fits”).
            </p>
            <DistanceChart distance={cmp.data.distance} axis={axis} />
          </Card>
        </>
      ) : null}
    </div>
  );
}
