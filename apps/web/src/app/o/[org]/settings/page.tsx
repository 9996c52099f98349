"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, use, useState } from "react";
import {
  ActionError,
  Button,
  Card,
  ConfirmButton,
  EmptyState,
  ErrorState,
  Field,
  inputClass,
  Loading,
  rowClass,
  TableHead,
  tableClass,
} from "@/components/ui";
import { useTRPC } from "@/trpc/react";

const ROLES = ["OWNER", "ADMIN", "MEMBER", "VIEWER"] as const;
type Role = (typeof ROLES)[number];

export default function MembersPage({ params }: { params: Promise<{ org: string }> }) {
  const { org } = use(params);
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const members = useQuery(trpc.member.list.queryOptions({ org }));
  const mine = useQuery(trpc.org.mine.queryOptions());
  const invitations = useQuery({ ...trpc.invitation.list.queryOptions({ org }), retry: false });
  const [message, setMessage] = useState<string | null>(null);
  const [link, setLink] = useState<string | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.member.list.queryKey({ org }) });
    void queryClient.invalidateQueries({ queryKey: trpc.invitation.list.queryKey({ org }) });
  };
  const onError = (err: { message: string }) => setMessage(err.message);
  const updateRole = useMutation(trpc.member.updateRole.mutationOptions({ onSuccess: refresh, onError }));
  const removeMember = useMutation(trpc.member.remove.mutationOptions({ onSuccess: refresh, onError }));
  const invite = useMutation(
    trpc.invitation.create.mutationOptions({
      onSuccess: (res) => {
        setLink(`${window.location.origin}${res.path}`);
        refresh();
      },
      onError: (err) =>
        setErrors(
          (err.data as { fieldErrors?: Record<string, string> } | undefined)?.fieldErrors ?? {
            _: err.message,
          },
        ),
    }),
  );
  const revoke = useMutation(trpc.invitation.revoke.mutationOptions({ onSuccess: refresh, onError }));
  const canManage = !invitations.error;
  const myRole = mine.data?.find((o) => o.slug === org)?.role;
  const owners = members.data?.items.filter((m) => m.role === "OWNER").length ?? 0;
  // The server refuses both (member/update.handler.ts); the page does not offer what it would refuse:
  // the last OWNER cannot be removed or demoted, and only an OWNER may touch an OWNER's membership.
  const lastOwner = (m: { role: Role }) => m.role === "OWNER" && owners <= 1;
  const mayRemove = (m: { role: Role }) => canManage && (m.role !== "OWNER" || myRole === "OWNER");

  function submitInvite(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setErrors({});
    setLink(null);
    invite.mutate({
      org,
      email: String(form.get("invite-email") ?? ""),
      role: String(form.get("invite-role")) as Role,
    });
  }

  return (
    <div className="space-y-4">
      <ActionError message={message} />
      <Card title="Members">
        {members.isLoading ? <Loading what="members" /> : null}
        <ErrorState error={members.error} what="members" />
        {members.data ? (
          <table className={tableClass} data-testid="members-table">
            <TableHead columns={["Member", "Role", "Joined", { srOnly: "Actions" }]} />
            <tbody>
              {members.data.items.map((m) => (
                <tr key={m.userId} className={rowClass}>
                  <td className="py-2 pr-3">
                    {m.name ? `${m.name} ` : ""}
                    <span className="text-slate-600 dark:text-slate-400">{m.email}</span>
                  </td>
                  <td className="pr-3">
                    {canManage ? (
                      <select
                        aria-label={`Role of ${m.email}`}
                        value={m.role}
                        disabled={lastOwner(m)}
                        className={`${inputClass} !mt-0 w-auto py-1`}
                        onChange={(e) =>
                          updateRole.mutate({ org, userId: m.userId, role: e.target.value as Role })
                        }
                      >
                        {ROLES.map((r) => (
                          <option key={r} value={r}>
                            {r}
                          </option>
                        ))}
                      </select>
                    ) : (
                      m.role
                    )}
                  </td>
                  <td className="pr-3">{new Date(m.joinedAt).toLocaleDateString()}</td>
                  <td className="pr-3">
                    {lastOwner(m) ? (
                      <span className="text-xs text-slate-600 dark:text-slate-400" data-testid="last-owner">
                        last owner
                      </span>
                    ) : mayRemove(m) ? (
                      <ConfirmButton
                        kind="danger"
                        aria-label={`Remove ${m.email}`}
                        question={`Remove ${m.email} from the organisation?`}
                        onConfirm={() => removeMember.mutate({ org, userId: m.userId })}
                      >
                        Remove
                      </ConfirmButton>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </Card>
      {canManage ? (
        <Card title="Invitations">
          <form
            onSubmit={submitInvite}
            noValidate
            className="flex flex-wrap items-end gap-3"
            aria-label="Invite a member"
          >
            <Field id="invite-email" label="Email" error={errors["email"]}>
              <input id="invite-email" name="invite-email" type="email" className={inputClass} />
            </Field>
            <Field id="invite-role" label="Role" error={errors["role"]}>
              <select id="invite-role" name="invite-role" defaultValue="MEMBER" className={inputClass}>
                {ROLES.map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </select>
            </Field>
            <Button kind="primary" type="submit" disabled={invite.isPending}>
              Create invitation link
            </Button>
          </form>
          <ActionError message={errors["_"]} className="mt-2" />
          {link ? (
            <div
              role="status"
              className="mt-3 rounded border border-amber-300 bg-amber-50 p-3 text-sm dark:border-amber-700 dark:bg-amber-950"
            >
              <p className="font-medium">Send this link to the invitee; it is shown only once.</p>
              <code className="break-all" data-testid="invitation-link">
                {link}
              </code>
            </div>
          ) : null}
          {invitations.data && invitations.data.items.length === 0 ? (
            <div className="mt-3">
              <EmptyState title="No pending invitations." />
            </div>
          ) : null}
          {invitations.data && invitations.data.items.length > 0 ? (
            <table className={`${tableClass} mt-3`}>
              <TableHead columns={["Email", "Role", "Expires", { srOnly: "Actions" }]} />
              <tbody>
                {invitations.data.items.map((i) => (
                  <tr key={i.id} className={rowClass}>
                    <td className="py-2 pr-3">{i.email}</td>
                    <td className="pr-3">{i.role}</td>
                    <td className="pr-3">{new Date(i.expiresAt).toLocaleDateString()}</td>
                    <td className="pr-3">
                      <ConfirmButton
                        aria-label={`Revoke invitation for ${i.email}`}
                        question={`Revoke the invitation for ${i.email}? Its link stops working.`}
                        onConfirm={() => revoke.mutate({ org, invitationId: i.id })}
                      >
                        Revoke
                      </ConfirmButton>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </Card>
      ) : (
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Invitations are managed by owners and admins.
        </p>
      )}
    </div>
  );
}
