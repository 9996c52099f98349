import Link from "next/link";
import { redirect } from "next/navigation";
import { AuthBox, FormAlert, submitClass } from "@/components/auth-box";
import { linkClass } from "@/components/ui";
import { actionErrorMessage } from "@/server/action-errors";
import { db } from "@/server/db";
import { verifyEmailHandler } from "@/server/routers/account/password.handler";
import { ZVerifyEmail } from "@/server/routers/account/schema";

export const dynamic = "force-dynamic";

// Confirming is a button (a POST), not the GET of the link: mail scanners open links on their own.
async function verify(formData: FormData) {
  "use server";
  const token = String(formData.get("token") ?? "");
  const parsed = ZVerifyEmail.safeParse({ token });
  let outcome = "done=1";
  try {
    if (!parsed.success) throw parsed.error;
    await verifyEmailHandler({ deps: { db }, input: parsed.data });
  } catch (err) {
    const message = actionErrorMessage(err);
    if (!message) throw err;
    outcome = new URLSearchParams({ error: message }).toString();
  }
  redirect(`/verify/${encodeURIComponent(token)}?${outcome}`);
}

export default async function VerifyPage({
  params,
  searchParams,
}: {
  params: Promise<{ token: string }>;
  searchParams: Promise<{ error?: string; done?: string }>;
}) {
  const { token } = await params;
  const { error, done } = await searchParams;
  return (
    <AuthBox title="Confirm your email address">
      <FormAlert message={error} />
      {done ? (
        <>
          <FormAlert kind="info" message="Your address is confirmed." />
          <Link className={linkClass} href="/">
            Continue
          </Link>
        </>
      ) : (
        <form action={verify}>
          <input type="hidden" name="token" value={token} />
          <button type="submit" className={submitClass}>
            Confirm
          </button>
        </form>
      )}
    </AuthBox>
  );
}
