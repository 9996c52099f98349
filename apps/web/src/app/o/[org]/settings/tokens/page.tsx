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
import { TOKEN_SCOPES, type TokenScope } from "@/lib/token-scopes";
import { useTRPC } from "@/trpc/react";

// The API's scopes (server/auth/token.ts); a token never exceeds its creator's role.

export default function TokensPage({ params }: { params: Promise<{ org: string }> }) {
  const { org } = use(params);
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const tokens = useQuery(trpc.token.list.queryOptions({ org }));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.token.list.queryKey({ org }) });
  const create = useMutation(
    trpc.token.create.mutationOptions({
      onSuccess: (res) => {
        setCreated({ name: res.name, token: res.token });
        setCopied(false);
        void refresh();
      },
      onError: (err) =>
        setErrors(
          (err.data as { fieldErrors?: Record<string, string> } | undefined)?.fieldErrors ?? {
            _: err.message,
          },
        ),
    }),
  );
  const revoke = useMutation(trpc.token.revoke.mutationOptions({ onSuccess: () => void refresh() }));

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const days = String(form.get("token-days") ?? "").trim();
    setErrors({});
    setCreated(null);
    create.mutate({
      org,
      name: String(form.get("token-name") ?? ""),
      scopes: form.getAll("token-scope").map(String) as TokenScope[],
      ...(days ? { expiresInDays: Number(days) } : {}),
    });
  }

  return (
    <div className="space-y-4">
      <Card title="New API token">
        <form onSubmit={submit} noValidate className="space-y-3" aria-label="Create API token">
          <div className="grid gap-4 md:grid-cols-2">
            <Field id="token-name" label="Name" error={errors["name"]} hint="what uses it, e.g. CI nightly">
              <input id="token-name" name="token-name" className={inputClass} />
            </Field>
            <Field
              id="token-days"
              label="Expires in days"
              error={errors["expiresInDays"]}
              hint="blank: never (revoke it instead)"
            >
              <input
                id="token-days"
                name="token-days"
                inputMode="numeric"
                defaultValue="90"
                className={inputClass}
              />
            </Field>
          </div>
          <fieldset>
            <legend className="text-sm font-medium">Scopes</legend>
            <div className="mt-1 flex flex-wrap gap-4">
              {TOKEN_SCOPES.map((s) => (
                <label key={s} className="flex items-center gap-1 text-sm">
                  <input type="checkbox" name="token-scope" value={s} defaultChecked={s === "studies:read"} />
                  <code>{s}</code>
                </label>
              ))}
            </div>
            {errors["scopes"] ? (
              <p id="token-scopes-error" role="alert" className="mt-1 text-sm text-red-700 dark:text-red-300">
                {errors["scopes"]}
              </p>
            ) : null}
          </fieldset>
          <ActionError message={errors["_"]} />
          <Button kind="primary" type="submit" disabled={create.isPending}>
            Create token
          </Button>
        </form>
        {created ? (
          <div
            role="status"
            className="mt-4 rounded border border-amber-300 bg-amber-50 p-3 text-sm dark:border-amber-700 dark:bg-amber-950"
            data-testid="new-token"
          >
            <p className="font-medium">
              Token “{created.name}”: copy it now. It is shown only once; the server keeps only its hash.
            </p>
            <div className="mt-2 flex items-center gap-2">
              <code
                className="break-all rounded bg-white px-2 py-1 dark:bg-slate-900"
                data-testid="token-value"
              >
                {created.token}
              </code>
              <Button
                onClick={async () => {
                  await navigator.clipboard?.writeText(created.token).catch(() => undefined);
                  setCopied(true);
                }}
              >
                {copied ? "Copied" : "Copy"}
              </Button>
              <Button onClick={() => setCreated(null)}>I have stored it</Button>
            </div>
          </div>
        ) : null}
      </Card>
      <Card title="Tokens">
        {tokens.isLoading ? <Loading what="tokens" /> : null}
        <ErrorState error={tokens.error} what="tokens" />
        {tokens.data && tokens.data.items.length === 0 ? (
          <EmptyState title="No API tokens yet.">Create one above for scripts, the CLI or CI.</EmptyState>
        ) : null}
        {tokens.data && tokens.data.items.length > 0 ? (
          <table className={tableClass} data-testid="tokens-table">
            <TableHead
              columns={["Name", "Prefix", "Scopes", "Expires", "Last used", "Status", { srOnly: "Actions" }]}
            />
            <tbody>
              {tokens.data.items.map((t) => (
                <tr key={t.id} className={rowClass} data-testid="token-row">
                  <td className="py-2 pr-3">{t.name}</td>
                  <td className="pr-3 font-mono">{t.prefix}…</td>
                  <td className="pr-3 font-mono text-xs">{t.scopes.join(" ")}</td>
                  <td className="pr-3">
                    {t.expiresAt ? new Date(t.expiresAt).toLocaleDateString() : "never"}
                  </td>
                  <td className="pr-3">{t.lastUsedAt ? new Date(t.lastUsedAt).toLocaleString() : "never"}</td>
                  <td className="pr-3" data-testid="token-status">
                    {t.revokedAt ? "revoked" : "active"}
                  </td>
                  <td className="pr-3">
                    {t.revokedAt ? null : (
                      <ConfirmButton
                        kind="danger"
                        aria-label={`Revoke ${t.name}`}
                        question={`Revoke the token “${t.name}”? Scripts using it stop working at once.`}
                        onConfirm={() => revoke.mutate({ org, tokenId: t.id })}
                      >
                        Revoke
                      </ConfirmButton>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </Card>
    </div>
  );
}
