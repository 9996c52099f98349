"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { Suspense, use } from "react";
import { CompareResults } from "@/components/compare/compare-results";
import { SaveComparison, SavedComparisons, viewOptionsOf } from "@/components/compare/saved-comparisons";
import { Card, EmptyState, ErrorState, Loading, linkClass, PageHeader, StateBadge } from "@/components/ui";
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
  const urlOf = (next: string[]) =>
    `/o/${org}/compare?${new URLSearchParams({ ids: next.join(",") })}`.replace(/%2C/g, ",");
  const setIds = (next: string[]) => router.replace(urlOf(next));
  return (
    <div className="space-y-4">
      <PageHeader title="Compare studies" />
      <Card title="Saved comparisons" testId="named-comparisons">
        <SaveComparison org={org} ids={ids} options={viewOptionsOf(search)} />
        <SavedComparisons org={org} />
      </Card>
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
        <fieldset className="min-w-0">
          <legend className="sr-only">Pick studies</legend>
          <ul className="grid grid-cols-1 gap-1 sm:grid-cols-2 lg:grid-cols-3">
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
      {ids.length >= 2 ? <CompareResults org={org} ids={ids} /> : null}
    </div>
  );
}
