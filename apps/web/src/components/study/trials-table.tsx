"use client";

import { trialOutcome } from "@hyperensemble/platform/outcome";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { isTrialSort, type TrialSort } from "@/lib/trial-filters";
import { useTRPC } from "@/trpc/react";
import { ClosureCells } from "../physics/closure-columns";
import {
  Button,
  EmptyState,
  ErrorState,
  fmt,
  fmtSeconds,
  focusRing,
  inputClass,
  Loading,
  Pagination,
  rowClass,
  SortHeader,
  StateBadge,
  tableClass,
  theadClass,
} from "../ui";
import { pageOf, pick, useUrlState } from "../url-state";
import { formatParamValue, ParamFilters, type ParamSpec } from "./param-filters";
import { useTrialFilters } from "./use-trial-filters";

const STATES = ["WAITING", "RUNNING", "COMPLETE", "PRUNED", "FAIL"] as const;
const PAGE_SIZE = 25;

/** Trials, sorted, filtered and paged by the server: a 10k-trial study sends 25 rows. */
export function TrialsTable({
  org,
  studyId,
  onOpen,
  highlight,
}: {
  org: string;
  studyId: string;
  onOpen: (n: number) => void;
  highlight: { selected: number | null; argmin: number | null };
}) {
  const trpc = useTRPC();
  // Sort, filters and page live in the URL (t-prefixed: the page has other state there).
  const url = useUrlState();
  const rawSort = url.get("tsort") ?? "";
  const sort: TrialSort = isTrialSort(rawSort) ? rawSort : "number";
  const dir = pick(url.get("tdir"), ["asc", "desc"] as const, "asc");
  const state = pick(url.get("tstate"), ["", ...STATES] as const, "");
  const rawParam = url.get("tparam") ?? "";
  const param = /^[\w\-/]+=.+$/.test(rawParam) ? rawParam : "";
  const page = pageOf(url.get("tpage"));
  const [paramDraft, setParamDraft] = useState(param);
  // Per-parameter range filters: shared with the parallel-coordinates brush (URL `tf`).
  const { filters, setFilters } = useTrialFilters();
  const setPage = (p: number) => url.set({ tpage: p || null });
  const trials = useQuery({
    ...trpc.study.trials.queryOptions({
      org,
      studyId,
      sort,
      dir,
      page,
      pageSize: PAGE_SIZE,
      ...(state ? { state } : {}),
      ...(param ? { param } : {}),
      ...(filters.length > 0 ? { filters } : {}),
    }),
    placeholderData: keepPreviousData,
  });
  const onSort = (column: TrialSort) =>
    url.set({
      tsort: column === "number" ? null : column,
      tdir: column === sort && dir === "asc" ? "desc" : null,
      tpage: null,
    });
  // Columns and filters come with the first page (the study's search space); kept while paging.
  const names = trials.data?.paramNames ?? [];
  const specs = (trials.data?.paramSpecs ?? {}) as Record<string, ParamSpec>;
  const badParam = paramDraft !== "" && !/^[\w\-/]+=.+$/.test(paramDraft);
  return (
    <div>
      <form
        className="mb-3 flex flex-wrap items-end gap-3"
        aria-label="Filter trials"
        onSubmit={(e) => {
          e.preventDefault();
          if (!badParam) url.set({ tparam: paramDraft, tpage: null });
        }}
      >
        <div>
          <label htmlFor="trial-state" className="block text-sm font-medium">
            State
          </label>
          <select
            id="trial-state"
            value={state}
            className={inputClass}
            onChange={(e) => url.set({ tstate: e.target.value, tpage: null })}
          >
            <option value="">All</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {s === "FAIL" ? "FAIL (failed or cancelled)" : s}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="trial-param" className="block text-sm font-medium">
            Parameter equals
          </label>
          <input
            id="trial-param"
            placeholder="activation=tanh"
            value={paramDraft}
            aria-invalid={badParam}
            aria-describedby="trial-param-hint"
            onChange={(e) => setParamDraft(e.target.value)}
            className={inputClass}
          />
          <p
            id="trial-param-hint"
            className={`text-xs ${badParam ? "text-red-700 dark:text-red-300" : "text-slate-600 dark:text-slate-400"}`}
          >
            {badParam ? "Write it as name=value" : "name=value, then Enter"}
          </p>
        </div>
        <Button type="submit">Apply</Button>
        {param || state || filters.length > 0 ? (
          <Button
            onClick={() => {
              setParamDraft("");
              url.set({ tparam: null, tstate: null, tf: null, tpage: null });
            }}
          >
            Clear filters
          </Button>
        ) : null}
      </form>
      {names.length > 0 ? (
        <ParamFilters
          key={JSON.stringify(filters)}
          names={names}
          specs={specs}
          filters={filters}
          onApply={setFilters}
        />
      ) : null}
      {trials.isLoading ? <Loading what="trials" /> : null}
      <ErrorState error={trials.error} what="trials" />
      {trials.data && trials.data.total === 0 ? (
        param || state || filters.length > 0 ? (
          <EmptyState title="No trial matches these filters.">
            Clear the filters to see every trial.
          </EmptyState>
        ) : (
          <EmptyState title="No trials yet.">Trials appear here as soon as the study queues them.</EmptyState>
        )
      ) : null}
      {trials.data && trials.data.total > 0 ? (
        <>
          <div className="relative overflow-x-auto">
            <table className={tableClass} data-testid="trials-table">
              <thead className={theadClass}>
                <tr>
                  <SortHeader label="#" column="number" sort={sort} dir={dir} onSort={onSort} />
                  <SortHeader label="State" column="state" sort={sort} dir={dir} onSort={onSort} />
                  <SortHeader label="L1" column="L1" sort={sort} dir={dir} onSort={onSort} />
                  <SortHeader label="L2" column="L2" sort={sort} dir={dir} onSort={onSort} />
                  <SortHeader label="L3" column="L3" sort={sort} dir={dir} onSort={onSort} />
                  <SortHeader label="φ²" column="phi2" sort={sort} dir={dir} onSort={onSort} />
                  <SortHeader label="Bias" column="bias" sort={sort} dir={dir} onSort={onSort} />
                  <SortHeader label="Variance" column="variance" sort={sort} dir={dir} onSort={onSort} />
                  <SortHeader
                    label="Bias / var."
                    column="closureRatio"
                    sort={sort}
                    dir={dir}
                    onSort={onSort}
                  />
                  <th scope="col" className="py-2 pr-3">
                    Fold χ²
                  </th>
                  <th scope="col" className="py-2 pr-3">
                    Epochs
                  </th>
                  <SortHeader label="Duration" column="duration" sort={sort} dir={dir} onSort={onSort} />
                  <th scope="col" className="py-2 pr-3">
                    Runner
                  </th>
                  <th scope="col" className="py-2 pr-3">
                    Reason
                  </th>
                  {names.map((n) => (
                    <SortHeader
                      key={n}
                      label={`${n}${specs[n]?.log ? " (log)" : ""}`}
                      column={`param:${n}` as TrialSort}
                      sort={sort}
                      dir={dir}
                      onSort={onSort}
                      className="font-mono text-xs"
                      testId="param-column"
                    />
                  ))}
                </tr>
              </thead>
              <tbody>
                {trials.data.items.map((t) => {
                  const seconds =
                    t.startedAt && t.finishedAt
                      ? (new Date(t.finishedAt).getTime() - new Date(t.startedAt).getTime()) / 1000
                      : null;
                  const mark =
                    t.number === highlight.selected
                      ? "selected"
                      : t.number === highlight.argmin
                        ? "argmin"
                        : null;
                  return (
                    <tr
                      key={t.id}
                      className={`${rowClass} ${mark ? "bg-indigo-50 dark:bg-indigo-950" : ""}`}
                      data-testid="trial-row"
                    >
                      <td className="py-2 pr-3">
                        <button
                          type="button"
                          className={`text-indigo-700 underline dark:text-indigo-300 ${focusRing}`}
                          onClick={() => onOpen(t.number)}
                        >
                          {t.number}
                        </button>
                        {mark ? <span className="ml-1 text-xs">({mark})</span> : null}
                      </td>
                      <td className="pr-3">
                        <StateBadge state={trialOutcome(t.state, t.error)} />
                      </td>
                      <td className="pr-3" data-testid="trial-l1">
                        {fmt(t.L1)}
                      </td>
                      <td className="pr-3">{fmt(t.L2)}</td>
                      <td className="pr-3">{fmt(t.L3)}</td>
                      <td className="pr-3">{fmt(t.phi2)}</td>
                      <ClosureCells bias={t.closureBias} variance={t.closureVariance} />
                      <td className="pr-3">
                        {t.foldChi2 ? t.foldChi2.map((v) => fmt(v, 2)).join(", ") : "–"}
                      </td>
                      <td className="pr-3">{t.epochs ?? "–"}</td>
                      <td className="pr-3">{fmtSeconds(seconds)}</td>
                      <td className="pr-3">{t.runner ?? "–"}</td>
                      <td className="max-w-xs pr-3 text-xs break-words" data-testid="trial-reason">
                        {t.error ?? (t.state === "PRUNED" ? "stopped early by the scheduler" : "")}
                      </td>
                      {names.map((n) => (
                        <td key={n} className="pr-3 font-mono text-xs whitespace-nowrap" data-param={n}>
                          {formatParamValue(t.params[n], specs[n])}
                        </td>
                      ))}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <Pagination
            page={page}
            pageSize={PAGE_SIZE}
            total={trials.data.total}
            onPage={setPage}
            label="Trial pages"
          />
        </>
      ) : null}
    </div>
  );
}
