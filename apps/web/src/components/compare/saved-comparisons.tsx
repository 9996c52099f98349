"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useId, useState } from "react";
import { useTRPC } from "@/trpc/react";
import {
  Button,
  ConfirmButton,
  EmptyState,
  ErrorState,
  inputClass,
  Loading,
  linkClass,
  readableError,
} from "../ui";

// Saved comparisons (issue 20): named, shared by everyone in the org, each with its own URL
// /o/<org>/compare/<id>. What is saved: the studies and the Compare page's view options (its URL query
// beyond `ids`), so the page opens as its author left it.

/** The Compare page's view options: every query key but `ids` (the server checks keys and lengths). */
export function viewOptionsOf(search: URLSearchParams): Record<string, string> {
  return Object.fromEntries([...search.entries()].filter(([key]) => key !== "ids"));
}

export function SaveComparison({
  org,
  ids,
  options,
}: {
  org: string;
  ids: string[];
  options: Record<string, string>;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const id = useId();
  const [name, setName] = useState("");
  const save = useMutation(
    trpc.comparison.create.mutationOptions({
      onSuccess: (saved) => {
        void queryClient.invalidateQueries({ queryKey: trpc.comparison.list.pathKey() });
        router.push(`/o/${org}/compare/${saved.id}`);
      },
    }),
  );
  return (
    <form
      className="flex flex-wrap items-end gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        if (name.trim() && ids.length >= 2) save.mutate({ org, name: name.trim(), studyIds: ids, options });
      }}
    >
      <div>
        <label htmlFor={`${id}-name`} className="block text-sm font-medium">
          Save as…
        </label>
        <input
          id={`${id}-name`}
          value={name}
          maxLength={80}
          placeholder="name for the organization"
          onChange={(e) => setName(e.target.value)}
          className={inputClass}
        />
      </div>
      <Button type="submit" disabled={!name.trim() || ids.length < 2 || save.isPending}>
        Save comparison
      </Button>
      {ids.length < 2 ? (
        <p className="text-xs text-slate-600 dark:text-slate-400">Pick 2 to 6 studies below to save them.</p>
      ) : null}
      {save.error ? (
        <p role="alert" className="w-full text-sm text-red-700 dark:text-red-300">
          {readableError(save.error, { name: "Name", studyIds: "Studies" })}
        </p>
      ) : null}
    </form>
  );
}

export function SavedComparisons({ org }: { org: string }) {
  const trpc = useTRPC();
  const list = useQuery(trpc.comparison.list.queryOptions({ org }));
  const remove = useDeleteComparison();
  if (list.isLoading) return <Loading what="saved comparisons" />;
  if (list.error) return <ErrorState error={list.error} what="saved comparisons" />;
  const items = list.data?.items ?? [];
  if (items.length === 0)
    return (
      <div className="mt-3">
        <EmptyState title="No saved comparison yet.">
          Pick studies, name the comparison and save it: everyone in the organization can open it.
        </EmptyState>
      </div>
    );
  return (
    <ul className="mt-3 space-y-1 text-sm" aria-label="Saved comparisons">
      {items.map((c) => (
        <li key={c.id} className="flex flex-wrap items-center gap-2" data-testid="saved-comparison">
          <Link className={linkClass} href={`/o/${org}/compare/${c.id}`}>
            {c.name}
          </Link>
          <span className="text-xs text-slate-600 dark:text-slate-400">
            {c.studies} studies{c.missing ? `, ${c.missing} deleted` : ""} ·{" "}
            {c.createdBy ?? "a former member"}, {new Date(c.createdAt).toLocaleDateString()}
          </span>
          <ConfirmButton
            kind="secondary"
            aria-label={`Delete comparison ${c.name}`}
            question={`Delete the saved comparison "${c.name}" for everyone in the organization? Its studies stay.`}
            disabled={remove.isPending}
            onConfirm={() => remove.mutate({ org, comparisonId: c.id })}
          >
            Delete
          </ConfirmButton>
        </li>
      ))}
      {remove.error ? (
        <li role="alert" className="text-red-700 dark:text-red-300">
          {readableError(remove.error)}
        </li>
      ) : null}
    </ul>
  );
}

export function useDeleteComparison(onDeleted?: () => void) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return useMutation(
    trpc.comparison.delete.mutationOptions({
      onSuccess: () => {
        void queryClient.invalidateQueries({ queryKey: trpc.comparison.list.pathKey() });
        onDeleted?.();
      },
    }),
  );
}
