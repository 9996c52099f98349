"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { use } from "react";
import { CompareResults } from "@/components/compare/compare-results";
import { useDeleteComparison } from "@/components/compare/saved-comparisons";
import {
  Card,
  ConfirmButton,
  EmptyState,
  ErrorState,
  LinkButton,
  Loading,
  linkClass,
  PageHeader,
  readableError,
  StateBadge,
} from "@/components/ui";
import { useTRPC } from "@/trpc/react";

/** A saved comparison by its URL (issue 20): studies deleted since are listed as missing. */
export default function SavedComparisonPage({ params }: { params: Promise<{ org: string; id: string }> }) {
  const { org, id } = use(params);
  const trpc = useTRPC();
  const router = useRouter();
  const saved = useQuery(trpc.comparison.get.queryOptions({ org, comparisonId: id }));
  const remove = useDeleteComparison(() => router.push(`/o/${org}/compare`));
  if (saved.isLoading) return <Loading what="comparison" />;
  if (saved.error || !saved.data) return <ErrorState error={saved.error} what="comparison" />;
  const c = saved.data;
  const ids = c.studies.map((s) => s.id);
  const edit = `/o/${org}/compare?${new URLSearchParams({ ...c.options, ids: ids.join(",") })}`.replace(
    /%2C/g,
    ",",
  );
  return (
    <div className="space-y-4">
      <PageHeader title={<span data-testid="comparison-name">Compare: {c.name}</span>}>
        <LinkButton href={edit} kind="secondary">
          Open in Compare
        </LinkButton>
        <ConfirmButton
          kind="danger"
          question={`Delete the saved comparison "${c.name}" for everyone in the organization? Its studies stay.`}
          disabled={remove.isPending}
          onConfirm={() => remove.mutate({ org, comparisonId: c.id })}
        >
          Delete
        </ConfirmButton>
      </PageHeader>
      {remove.error ? (
        <p role="alert" className="text-sm text-red-700 dark:text-red-300">
          {readableError(remove.error)}
        </p>
      ) : null}
      <Card title="Studies" testId="comparison-studies">
        <p className="mb-2 text-xs text-slate-600 dark:text-slate-400">
          Saved by {c.createdBy ?? "a former member"} on {new Date(c.createdAt).toLocaleString()}; shared with
          everyone in the organization.{" "}
          <Link className={linkClass} href={`/o/${org}/compare`}>
            All saved comparisons
          </Link>
        </p>
        <ul className="flex flex-wrap gap-3 text-sm">
          {c.studies.map((s) => (
            <li key={s.id} className="flex items-center gap-1">
              <Link className={linkClass} href={`/o/${org}/studies/${s.id}`}>
                {s.name}
              </Link>
              <StateBadge state={s.state} />
              {s.archivedAt ? (
                <span className="text-xs text-slate-600 dark:text-slate-400">(archived)</span>
              ) : null}
            </li>
          ))}
        </ul>
        {c.missing.length > 0 ? (
          <p
            role="status"
            data-testid="comparison-missing"
            className="mt-2 rounded border border-amber-300 bg-amber-50 p-2 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100"
          >
            {c.missing.length === 1 ? "1 study" : `${c.missing.length} studies`} of this comparison no longer
            {c.missing.length === 1 ? " exists" : " exist"} (deleted since it was saved).
          </p>
        ) : null}
      </Card>
      {ids.length >= 2 ? (
        <CompareResults org={org} ids={ids} />
      ) : (
        <EmptyState title="Fewer than two of its studies are left.">
          Pick others on the{" "}
          <Link className={linkClass} href={edit}>
            Compare
          </Link>{" "}
          page and save a new comparison.
        </EmptyState>
      )}
    </div>
  );
}
