import Link from "next/link";
import { redirect } from "next/navigation";
import { AuthBox, FormAlert, submitClass, TextField } from "@/components/auth-box";
import { linkClass } from "@/components/ui";
import { actionErrorMessage } from "@/server/action-errors";
import { db } from "@/server/db";
import { resetPasswordHandler } from "@/server/routers/account/password.handler";
import { ZResetPassword } from "@/server/routers/account/schema";

export const dynamic = "force-dynamic";

async function resetPassword(formData: FormData) {
  "use server";
  const token = String(formData.get("token") ?? "");
  const parsed = ZResetPassword.safeParse({ token, newPassword: formData.get("newPassword") });
  const back = (error: string) =>
    redirect(`/reset/${encodeURIComponent(token)}?${new URLSearchParams({ error })}`);
  if (!parsed.success) back(actionErrorMessage(parsed.error) ?? "invalid input");
  else {
    try {
      await resetPasswordHandler({ deps: { db }, input: parsed.data });
    } catch (err) {
      const message = actionErrorMessage(err);
      if (message) back(message);
      throw err;
    }
    redirect("/signin?reset=1");
  }
}

export default async function ResetPage({
  params,
  searchParams,
}: {
  params: Promise<{ token: string }>;
  searchParams: Promise<{ error?: string }>;
}) {
  const { token } = await params;
  const { error } = await searchParams;
  return (
    <AuthBox
      title="Choose a new password"
      subtitle="Every session of the account ends: sign in again afterwards."
    >
      <FormAlert message={error} />
      <form action={resetPassword} className="space-y-4">
        <input type="hidden" name="token" value={token} />
        <TextField
          id="newPassword"
          label="New password"
          type="password"
          autoComplete="new-password"
          hint="At least 10 characters."
        />
        <button type="submit" className={submitClass}>
          Set password
        </button>
      </form>
      <p>
        <Link className={linkClass} href="/forgot">
          Ask for a new link
        </Link>
      </p>
    </AuthBox>
  );
}
