"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { ActionError, Button, Card, ErrorState, Field, inputClass, Loading } from "@/components/ui";
import { useTRPC } from "@/trpc/react";

type FieldErrors = Record<string, string>;
const fieldErrorsOf = (err: { message: string; data?: unknown }): FieldErrors =>
  (err.data as { fieldErrors?: FieldErrors | null } | undefined)?.fieldErrors ?? { _: err.message };

/** Profile, password and sessions of the signed-in user (/account). */
export function AccountSettings() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useQuery(trpc.account.me.queryOptions());
  const [status, setStatus] = useState<string | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const signedOut = () => {
    window.location.href = "/signin";
  };
  const profile = useMutation(
    trpc.account.updateProfile.mutationOptions({
      onSuccess: () => {
        setStatus("Profile saved.");
        void queryClient.invalidateQueries({ queryKey: trpc.account.me.queryKey() });
      },
      onError: (err) => setErrors(fieldErrorsOf(err)),
    }),
  );
  const password = useMutation(
    trpc.account.changePassword.mutationOptions({
      onSuccess: signedOut,
      onError: (err) => setErrors(fieldErrorsOf(err)),
    }),
  );
  const everywhere = useMutation(trpc.account.signOutEverywhere.mutationOptions({ onSuccess: signedOut }));

  function saveProfile(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setErrors({});
    profile.mutate({ name: String(new FormData(e.currentTarget).get("profile-name") ?? "") });
  }
  function changePassword(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setErrors({});
    const form = new FormData(e.currentTarget);
    password.mutate({
      currentPassword: String(form.get("current-password") ?? ""),
      newPassword: String(form.get("new-password") ?? ""),
    });
  }

  if (me.isLoading) return <Loading what="your account" />;
  if (me.error || !me.data) return <ErrorState error={me.error} what="your account" />;
  return (
    <div className="space-y-4">
      {status ? (
        <p role="status" className="text-sm text-emerald-800 dark:text-emerald-200">
          {status}
        </p>
      ) : null}
      <ActionError message={errors["_"]} />
      <Card title="Profile">
        <form onSubmit={saveProfile} className="flex flex-wrap items-end gap-3" noValidate>
          <Field id="profile-name" label="Name" error={errors["name"]}>
            <input
              id="profile-name"
              name="profile-name"
              defaultValue={me.data.name ?? ""}
              className={inputClass}
            />
          </Field>
          <p className="text-sm">
            {me.data.email} {me.data.emailVerified ? "(confirmed)" : "(not confirmed)"}
          </p>
          <Button kind="primary" type="submit" disabled={profile.isPending}>
            Save
          </Button>
        </form>
      </Card>
      {me.data.hasPassword ? (
        <Card title="Password">
          <form onSubmit={changePassword} className="flex flex-wrap items-end gap-3" noValidate>
            <Field id="current-password" label="Current password" error={errors["currentPassword"]}>
              <input
                id="current-password"
                name="current-password"
                type="password"
                autoComplete="current-password"
                className={inputClass}
              />
            </Field>
            <Field id="new-password" label="New password" error={errors["newPassword"]}>
              <input
                id="new-password"
                name="new-password"
                type="password"
                autoComplete="new-password"
                className={inputClass}
              />
            </Field>
            <Button kind="primary" type="submit" disabled={password.isPending}>
              Change password
            </Button>
          </form>
          <p className="mt-2 text-xs text-slate-600 dark:text-slate-400">
            Every session ends, this one too: sign in again with the new password.
          </p>
        </Card>
      ) : null}
      <Card title="Sessions">
        <p className="mb-3 text-sm">Sign out on every browser and device where this account is signed in.</p>
        <Button kind="danger" onClick={() => everywhere.mutate()} disabled={everywhere.isPending}>
          Sign out everywhere
        </Button>
      </Card>
    </div>
  );
}
