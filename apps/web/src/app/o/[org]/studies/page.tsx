"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { use, useState } from "react";
import { TagChip } from "@/components/team/tags-notes";
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
import { pageOf, pick, useUrlState } from "@/components/url-state";
import { useTRPC } from "@/trpc/react";

const STATES = ["QUEUED", "RUNNING", "PAUSED", "COMPLETED", "CANCELLED", "FAILED"] as const;
const SORTS = ["createdAt", "name", "state", "bestL1", "gpuSeconds", "trials"] as const;
type Sort = (typeof SORTS)[number];
const PAGE_SIZE = 20;
const ACTIVE = new Set(["QUEUED", "RUNNING"]);

export default function StudiesPage({ params }: { params: Promise<{ org: string }> }) {
  const { org } = use(params);
  const trpc = useTRPC();
  const router = useRouter();
  // Sort, filters and page are in the URL, so a link shows the same list.
  const url = useUrlState();
  const sort = pick<Sort>(url.get("sort"), SORTS, "createdAt");
  const dir = pick(url.get("dir"), ["asc", "desc"] as const, sort === "name" ? "asc" : "desc");
  const state = pick(url.get("state"), ["", ...STATES] as const, "");
  const q = url.get("q") ?? "";
  // The box keeps its own text (the URL catches up a render later; the caret must not jump).
  const [qDraft, setQDraft] = useState(q);
  const page = pageOf(url.get("page"));
  const mine = url.get("mine") === "1";
  // Team (issue 20): a tag filter and archived studies, in the URL like the other filters.
  const tag = url.get("tag") ?? "";
  const archived = pick(url.get("archived"), ["hide", "only", "all"] as const, "hide");
  const tags = useQuery(trpc.team.studyTags.queryOptions({ org }));
  const tagOptions = [...new Set([...(tags.data?.tags.map((t) => t.tag) ?? []), ...(tag ? [tag] : [])])];
  const setPage = (p: number) => url.set({ page: p || null });
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
      ...(mine ? { mine: true } : {}),
      ...(tag ? { tag } : {}),
      ...(archived !== "hide" ? { archived } : {}),
    }),
    placeholderData: keepPreviousData,
    // Refresh only while a listed study can still change (and not in a background tab).
    refetchInterval: (query) => (query.state.data?.items.some((s) => ACTIVE.has(s.state)) ? 15_000 : false),
  });
  const onSort = (column: Sort) =>
    url.set({
      sort: column === "createdAt" ? null : column,
      dir: column === sort ? (dir === "asc" ? "desc" : "asc") : null,
      page: null,
    });
  const toggle = (id: string) =>
    setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : p.length >= 6 ? p : [...p, id]));
  const filtered = Boolean(state || q.trim() || mine || tag || archived === "only");
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
              value={qDraft}
              onChange={(e) => {
                setQDraft(e.target.value);
                url.set({ q: e.target.value, page: null });
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
              onChange={(e) => url.set({ state: e.target.value, page: null })}
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
          <div>
            <label htmlFor="tag-filter" className="block text-sm font-medium">
              Tag
            </label>
            <select
              id="tag-filter"
              value={tag}
              onChange={(e) => url.set({ tag: e.target.value, page: null })}
              className={inputClass}
            >
              <option value="">All tags</option>
              {tagOptions.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="archived-filter" className="block text-sm font-medium">
              Archived
            </label>
            <select
              id="archived-filter"
              value={archived}
              onChange={(e) =>
                url.set({ archived: e.target.value === "hide" ? null : e.target.value, page: null })
              }
              className={inputClass}
            >
              <option value="hide">Hide archived</option>
              <option value="only">Only archived</option>
              <option value="all">Show archived too</option>
            </select>
          </div>
          <label className="flex items-center gap-2 self-center text-sm">
            <input
              type="checkbox"
              checked={mine}
              onChange={(e) => url.set({ mine: e.target.checked ? 1 : null, page: null })}
            />
            Only my studies
          </label>
        </form>
        {studies.isLoading ? <Loading what="studies" /> : null}
        <ErrorState error={studies.error} what="studies" />
        {studies.data && studies.data.items.length === 0 ? (
          filtered ? (
            <EmptyState title="No study matches these filters.">
              Clear the name, state or tag filter{archived === "hide" ? ", or show archived studies" : ""}.
            </EmptyState>
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
            <div className="relative overflow-x-auto">
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
                        {s.archivedAt || s.tags.length > 0 ? (
                          <div className="mt-1 flex max-w-[18rem] flex-wrap gap-1">
                            {s.archivedAt ? (
                              <span className="rounded bg-amber-100 px-1.5 text-xs text-amber-900 dark:bg-amber-900 dark:text-amber-100">
                                archived
                              </span>
                            ) : null}
                            {s.tags.map((t) => (
                              <TagChip
                                key={t}
                                tag={t}
                                href={`/o/${org}/studies?tag=${encodeURIComponent(t)}`}
                              />
                            ))}
                          </div>
                        ) : null}
                      </td>
                      <td className="pr-3">
                        <StateBadge state={s.outcome} />
                        {s.firstFailure ? (
                          <p
                            className="mt-1 max-w-[16rem] text-xs text-red-800 dark:text-red-200"
                            data-testid="study-failure"
                          >
                            {s.failedTrials} failed: {s.firstFailure}
                          </p>
                        ) : null}
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
