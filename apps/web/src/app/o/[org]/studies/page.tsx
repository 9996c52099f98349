"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { use, useState } from "react";
import {
  Button,
  Card,
  EmptyState,
  ErrorState,
  fmt,
  fmtSeconds,
  inputClass,
  LinkButton,
  Loading,
  linkClass,
  PageHeader,
  Pagination,
  rowClass,
  SortHeader,
  StateBadge,
  tableClass,
  theadClass,
} from "@/components/ui";
import { useTRPC } from "@/trpc/react";

const STATES = ["QUEUED", "RUNNING", "PAUSED", "COMPLETED", "CANCELLED", "FAILED"] as const;
type Sort = "createdAt" | "name" | "state" | "bestL1" | "gpuSeconds" | "trials";
const PAGE_SIZE = 20;

export default function StudiesPage({ params }: { params: Promise<{ org: string }> }) {
  const { org } = use(params);
  const trpc = useTRPC();
  const router = useRouter();
  const [sort, setSort] = useState<Sort>("createdAt");
  const [dir, setDir] = useState<"asc" | "desc">("desc");
  const [state, setState] = useState<(typeof STATES)[number] | "">("");
  const [q, setQ] = useState("");
  const [page, setPage] = useState(0);
  const [picked, setPicked] = useState<string[]>([]);
  const studies = useQuery({
    ...trpc.study.list.queryOptions({
      org,
      take: PAGE_SIZE,
      page,
      sort,
      dir,
      ...(state ? { state } : {}),
      ...(q.trim() ? { q: q.trim() } : {}),
    }),
    placeholderData: keepPreviousData,
    refetchInterval: 15_000,
  });
  const onSort = (column: Sort) => {
    setDir(column === sort ? (dir === "asc" ? "desc" : "asc") : column === "name" ? "asc" : "desc");
    setSort(column);
    setPage(0);
  };
  const toggle = (id: string) =>
    setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : p.length >= 6 ? p : [...p, id]));
  const filtered = Boolean(state || q.trim());
  return (
    <div className="space-y-4">
      <PageHeader title="Studies">
        <Button
          disabled={picked.length < 2}
          onClick={() => router.push(`/o/${org}/compare?ids=${picked.join(",")}`)}
          title="Tick 2 to 6 studies to compare them"
        >
          Compare selected ({picked.length})
        </Button>
        <LinkButton href={`/o/${org}/studies/new`}>New study</LinkButton>
      </PageHeader>
      <Card>
        <form className="mb-3 flex flex-wrap items-end gap-3" onSubmit={(e) => e.preventDefault()}>
          <div>
            <label htmlFor="study-search" className="block text-sm font-medium">
              Name contains
            </label>
            <input
              id="study-search"
              type="search"
              value={q}
              onChange={(e) => {
                setQ(e.target.value);
                setPage(0);
              }}
              className={inputClass}
            />
          </div>
          <div>
            <label htmlFor="state-filter" className="block text-sm font-medium">
              State
            </label>
            <select
              id="state-filter"
              value={state}
              onChange={(e) => {
                setState(e.target.value as typeof state);
                setPage(0);
              }}
              className={inputClass}
            >
              <option value="">All states</option>
              {STATES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </div>
        </form>
        {studies.isLoading ? <Loading what="studies" /> : null}
        <ErrorState error={studies.error} what="studies" />
        {studies.data && studies.data.items.length === 0 ? (
          filtered ? (
            <EmptyState title="No study matches these filters.">Clear the name or state filter.</EmptyState>
          ) : (
            <EmptyState title="No studies yet.">
              Create one with{" "}
              <Link className={linkClass} href={`/o/${org}/studies/new`}>
                New study
              </Link>
              , or submit a YAML spec with <code>hens study create -f study.yaml</code>.
            </EmptyState>
          )
        ) : null}
        {studies.data && studies.data.items.length > 0 ? (
          <>
            <div className="overflow-x-auto">
              <table className={tableClass} data-testid="studies-table">
                <thead className={theadClass}>
                  <tr>
                    <th scope="col" className="py-2 pr-2">
                      <span className="sr-only">Pick to compare</span>
                    </th>
                    <SortHeader label="Name" column="name" sort={sort} dir={dir} onSort={onSort} />
                    <SortHeader label="State" column="state" sort={sort} dir={dir} onSort={onSort} />
                    <SortHeader label="Trials" column="trials" sort={sort} dir={dir} onSort={onSort} />
                    <SortHeader label="Best L1" column="bestL1" sort={sort} dir={dir} onSort={onSort} />
                    <th scope="col" className="py-2 pr-3">
                      Selected φ²
                    </th>
                    <SortHeader
                      label="Runner time"
                      column="gpuSeconds"
                      sort={sort}
                      dir={dir}
                      onSort={onSort}
                    />
                    <th scope="col" className="py-2 pr-3">
                      Owner
                    </th>
                    <SortHeader label="Created" column="createdAt" sort={sort} dir={dir} onSort={onSort} />
                  </tr>
                </thead>
                <tbody>
                  {studies.data.items.map((s) => (
                    <tr key={s.id} className={rowClass} data-testid="study-row">
                      <td className="py-2 pr-2">
                        <input
                          type="checkbox"
                          aria-label={`Compare ${s.name}`}
                          checked={picked.includes(s.id)}
                          onChange={() => toggle(s.id)}
                        />
                      </td>
                      <td className="py-2 pr-3">
                        <Link className={linkClass} href={`/o/${org}/studies/${s.id}`}>
                          {s.name}
                        </Link>
                      </td>
                      <td className="pr-3">
                        <StateBadge state={s.state} />
                      </td>
                      <td className="pr-3">
                        {s.trialsDone} / {s.maxTrials}
                        {s.trialCounts.FAIL > 0 ? (
                          <span
                            className="ml-1 text-xs text-red-700 dark:text-red-300"
                            data-testid="failed-count"
                          >
                            ({s.trialCounts.FAIL} failed)
                          </span>
                        ) : null}
                      </td>
                      <td className="pr-3">{fmt(s.bestL1)}</td>
                      <td className="pr-3">{fmt(s.selectedPhi2)}</td>
                      <td className="pr-3">{fmtSeconds(s.gpuSeconds)}</td>
                      <td className="pr-3">{s.owner}</td>
                      <td className="pr-3 whitespace-nowrap">{new Date(s.createdAt).toLocaleString()}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pagination
              page={page}
              pageSize={PAGE_SIZE}
              total={studies.data.total}
              onPage={setPage}
              label="Studies pages"
            />
          </>
        ) : null}
      </Card>
    </div>
  );
}
