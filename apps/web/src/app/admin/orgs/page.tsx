"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import {
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

export default function AdminOrgsPage() {
  const trpc = useTRPC();
  const [search, setSearch] = useState("");
  const orgs = useQuery(trpc.admin.orgs.queryOptions({ search, take: 100 }));
  return (
    <>
      <PageHeader title="Organisations" />
      <Card>
        <SearchField id="org-search" label="Search by name or slug" value={search} onChange={setSearch} />
        {orgs.isLoading ? <Loading what="organisations" /> : null}
        <ErrorState error={orgs.error} what="organisations" />
        {orgs.data ? (
          <table className={`${tableClass} mt-3`} data-testid="admin-orgs">
            <TableHead
              columns={["Organisation", "Members", "Studies", "Datasets", "Limit overrides", "Created"]}
            />
            <tbody>
              {orgs.data.items.map((o) => (
                <tr key={o.id} className={rowClass}>
                  <td className="py-1 pr-3">
                    {o.deletedAt ? (
                      <span>
                        {o.name} (deleted {new Date(o.deletedAt).toLocaleDateString()})
                      </span>
                    ) : (
                      <a className="underline" href={`/admin/orgs/${o.slug}`}>
                        {o.name} ({o.slug})
                      </a>
                    )}
                  </td>
                  <td className="pr-3">{o.members}</td>
                  <td className="pr-3">{o.studies}</td>
                  <td className="pr-3">{o.datasets}</td>
                  <td className="pr-3">{o.overrides}</td>
                  <td className="pr-3">{new Date(o.createdAt).toLocaleDateString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </Card>
    </>
  );
}
