import { headers } from "next/headers";
import Link from "next/link";
import { redirect } from "next/navigation";
import { AuthBox, FormAlert, submitClass, TextField } from "@/components/auth-box";
import { linkClass } from "@/components/ui";
import { accountDeps } from "@/server/accounts";
import { actionErrorMessage } from "@/server/action-errors";
import { db } from "@/server/db";
import { requestPasswordResetHandler } from "@/server/routers/account/password.handler";
import { ZRequestReset } from "@/server/routers/account/schema";

export const dynamic = "force-dynamic";

async function requestReset(formData: FormData) {
  "use server";
  const parsed = ZRequestReset.safeParse({ email: formData.get("email") });
  if (!parsed.success)
    redirect(`/forgot?${new URLSearchParams({ error: actionErrorMessage(parsed.error) ?? "invalid" })}`);
  else {
    try {
      await requestPasswordResetHandler({
        deps: accountDeps(db, { headers: await headers() }),
        input: parsed.data,
      });
    } catch (err) {
      const message = actionErrorMessage(err);
      if (message) redirect(`/forgot?${new URLSearchParams({ error: message })}`);
      throw err;
    }
    redirect("/forgot?sent=1");
  }
}

export default async function ForgotPage({
  searchParams,
}: {
  searchParams: Promise<{ error?: string; sent?: string }>;
}) {
  const { error, sent } = await searchParams;
  return (
    <AuthBox title="Reset your password" subtitle="We mail a link that works once, for one hour.">
      <FormAlert message={error} />
      <FormAlert
        kind="info"
        message={sent ? "If an account uses that address, a reset link is on its way." : undefined}
      />
      <form action={requestReset} className="space-y-4">
        <TextField id="email" label="Email" type="email" autoComplete="email" />
        <button type="submit" className={submitClass}>
          Send reset link
        </button>
      </form>
      <p>
        <Link className={linkClass} href="/signin">
          Back to sign in
        </Link>
      </p>
    </AuthBox>
  );
}
