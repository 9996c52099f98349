"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import {
  ActionError,
  Button,
  Card,
  ErrorState,
  Loading,
  PageHeader,
  rowClass,
  SearchField,
  TableHead,
  tableClass,
} from "@/components/ui";
import { useTRPC } from "@/trpc/react";

export default function AdminUsersPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [search, setSearch] = useState("");
  const [message, setMessage] = useState<string | null>(null);
  const users = useQuery(trpc.admin.users.queryOptions({ search, take: 100 }));
  const setActive = useMutation(
    trpc.admin.setUserActive.mutationOptions({
      onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.admin.users.queryKey() }),
      onError: (err) => setMessage(err.message),
    }),
  );
  return (
    <>
      <PageHeader title="Users" />
      <Card>
        <ActionError message={message} className="mb-2" />
        <SearchField id="user-search" label="Search by email or name" value={search} onChange={setSearch} />
        {users.isLoading ? <Loading what="users" /> : null}
        <ErrorState error={users.error} what="users" />
        {users.data ? (
          <table className={`${tableClass} mt-3`} data-testid="admin-users">
            <TableHead columns={["User", "Organisations", "State", { srOnly: "Actions" }]} />
            <tbody>
              {users.data.items.map((u) => (
                <tr key={u.id} className={rowClass}>
                  <td className="py-1 pr-3">
                    {u.name ? `${u.name} ` : ""}
                    <span className="text-slate-600 dark:text-slate-400">{u.email}</span>
                    {u.platformAdmin ? " (platform admin)" : ""}
                  </td>
                  <td className="pr-3">{u.orgs.map((o) => `${o.slug} (${o.role})`).join(", ")}</td>
                  <td className="pr-3">{u.deactivatedAt ? "deactivated" : "active"}</td>
                  <td className="pr-3">
                    <Button
                      kind={u.deactivatedAt ? "secondary" : "danger"}
                      aria-label={`${u.deactivatedAt ? "Reactivate" : "Deactivate"} ${u.email}`}
                      onClick={() => setActive.mutate({ userId: u.id, active: u.deactivatedAt !== null })}
                    >
                      {u.deactivatedAt ? "Reactivate" : "Deactivate"}
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </Card>
    </>
  );
}
