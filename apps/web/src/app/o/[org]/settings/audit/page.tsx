"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import { use, useState } from "react";
import {
  Button,
  Card,
  EmptyState,
  ErrorState,
  inputClass,
  Loading,
  rowClass,
  TableHead,
  tableClass,
} from "@/components/ui";
import { useTRPC } from "@/trpc/react";

export default function AuditPage({ params }: { params: Promise<{ org: string }> }) {
  const { org } = use(params);
  const trpc = useTRPC();
  const [action, setAction] = useState("");
  const events = useInfiniteQuery(
    trpc.audit.list.infiniteQueryOptions(
      { org, take: 50, ...(action ? { action } : {}) },
      { getNextPageParam: (last) => last.nextCursor ?? undefined },
    ),
  );
  const items = events.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Card title="Audit log">
      <form className="mb-3" onSubmit={(e) => e.preventDefault()}>
        <label htmlFor="audit-action" className="block text-sm font-medium">
          Action (exact, e.g. token.create)
        </label>
        <input
          id="audit-action"
          value={action}
          onChange={(e) => setAction(e.target.value.trim())}
          className={`${inputClass} max-w-xs`}
        />
      </form>
      {events.isLoading ? <Loading what="audit log" /> : null}
      <ErrorState error={events.error} what="audit log" />
      {events.data && items.length === 0 ? (
        <EmptyState title={action ? `No “${action}” events.` : "Nothing recorded yet."}>
          Changes to studies, members, tokens and datasets are recorded here.
        </EmptyState>
      ) : null}
      {items.length > 0 ? (
        <table className={tableClass} data-testid="audit-table">
          <TableHead columns={["When", "Who", "Action", "Target", "Details"]} />
          <tbody>
            {items.map((e) => (
              <tr key={e.id} className={rowClass}>
                <td className="py-2 pr-3 whitespace-nowrap">{new Date(e.createdAt).toLocaleString()}</td>
                <td className="pr-3">{e.actor ?? e.actorId ?? "system"}</td>
                <td className="pr-3 font-mono">{e.action}</td>
                <td className="pr-3 font-mono text-xs">{e.target ?? "–"}</td>
                <td className="pr-3 font-mono text-xs">{e.data ? JSON.stringify(e.data) : ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {events.hasNextPage ? (
        <Button
          className="mt-3"
          onClick={() => void events.fetchNextPage()}
          disabled={events.isFetchingNextPage}
        >
          Load older events
        </Button>
      ) : null}
    </Card>
  );
}
