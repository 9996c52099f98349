"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { Suspense, use, useEffect, useState } from "react";
import { Histogram, MultiHistory } from "@/components/charts";
import { EdfChart } from "@/components/charts/search";
import {
  Button,
  Card,
  EmptyState,
  ErrorState,
  fmt,
  formatParams,
  inputClass,
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
  const name = search.get("name") ?? "";
  const urlOf = (next: string[], label = name) =>
    `/o/${org}/compare?${new URLSearchParams({ ids: next.join(","), ...(label ? { name: label } : {}) })}`.replace(
      /%2C/g,
      ",",
    );
  const setIds = (next: string[]) => router.replace(urlOf(next));
  const studies = compare.data?.studies ?? [];
  const saved = useSavedComparisons(org);
  const [draft, setDraft] = useState(name);
  return (
    <div className="space-y-4">
      <PageHeader title={name ? `Compare: ${name}` : "Compare studies"} />
      <Card title="Named comparisons" testId="named-comparisons">
        <form
          className="flex flex-wrap items-end gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            const label = draft.trim();
            if (!label || ids.length < 2) return;
            saved.save({ name: label, url: urlOf(ids, label) });
            router.replace(urlOf(ids, label));
          }}
        >
          <div>
            <label htmlFor="comparison-name" className="block text-sm font-medium">
              Name this comparison
            </label>
            <input
              id="comparison-name"
              value={draft}
              maxLength={80}
              onChange={(e) => setDraft(e.target.value)}
              className={inputClass}
            />
          </div>
          <Button type="submit" disabled={!draft.trim() || ids.length < 2}>
            Save
          </Button>
        </form>
        <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">
          The name and the studies are in this page&apos;s URL: share it. Saved ones are kept in this browser.
        </p>
        {saved.items.length > 0 ? (
          <ul className="mt-2 space-y-1 text-sm" aria-label="Saved comparisons">
            {saved.items.map((c) => (
              <li key={c.url} className="flex items-center gap-2">
                <Link className={linkClass} href={c.url}>
                  {c.name}
                </Link>
                <Button aria-label={`Forget ${c.name}`} onClick={() => saved.remove(c.url)}>
                  ✕
                </Button>
              </li>
            ))}
          </ul>
        ) : null}
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
    </div>
  );
}

interface SavedComparison {
  name: string;
  url: string;
}

/** Named comparisons of this organisation, kept in the browser (the URL itself is the shareable part). */
function useSavedComparisons(org: string) {
  const key = `hens-comparisons:${org}`;
  const [items, setItems] = useState<SavedComparison[]>([]);
  useEffect(() => {
    try {
      const raw = JSON.parse(localStorage.getItem(key) ?? "[]") as unknown;
      if (Array.isArray(raw))
        setItems(
          raw.filter(
            (c): c is SavedComparison =>
              typeof c?.name === "string" &&
              typeof c?.url === "string" &&
              c.url.startsWith(`/o/${org}/compare?`),
          ),
        );
    } catch {
      setItems([]);
    }
  }, [key, org]);
  const store = (next: SavedComparison[]) => {
    setItems(next);
    localStorage.setItem(key, JSON.stringify(next));
  };
  return {
    items,
    save: (c: SavedComparison) => store([c, ...items.filter((x) => x.name !== c.name)].slice(0, 50)),
    remove: (url: string) => store(items.filter((x) => x.url !== url)),
  };
}
