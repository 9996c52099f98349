import { TRPCError } from "@trpc/server";
import Link from "next/link";
import { redirect } from "next/navigation";
import { auth } from "@/auth";
import { signInUrl } from "@/lib/callback-url";
import { db } from "@/server/db";
import {
  acceptInvitationHandler,
  previewInvitationHandler,
} from "@/server/routers/invitation/accept.handler";
import { ZInvitationToken } from "@/server/routers/invitation/create.schema";

export const dynamic = "force-dynamic";

const box =
  "mx-auto mt-24 max-w-md rounded-lg border border-slate-200 bg-white p-8 shadow-sm dark:border-slate-800 dark:bg-slate-900";

async function acceptInvitation(formData: FormData) {
  "use server";
  // Server actions are POST-only and origin-checked by Next: a cross-site page cannot accept for you.
  const session = await auth();
  const parsed = ZInvitationToken.safeParse({ token: formData.get("token") });
  if (!session?.user?.id || !parsed.success)
    redirect(signInUrl(parsed.success ? `/invite/${parsed.data.token}` : null));
  let orgSlug: string;
  try {
    const accepted = await acceptInvitationHandler({
      ctx: { db, user: { id: session.user.id } },
      input: parsed.data,
    });
    orgSlug = accepted.org;
  } catch (err) {
    if (err instanceof TRPCError) {
      redirect(`/invite/${parsed.data.token}?error=${encodeURIComponent(err.message)}`);
    }
    throw err;
  }
  redirect(`/o/${orgSlug}/studies`);
}

function Message({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <main className={box}>
      <h1 className="mb-3 text-xl font-semibold">{title}</h1>
      <div className="space-y-3 text-sm text-slate-600 dark:text-slate-300">{children}</div>
    </main>
  );
}

export default async function InvitePage({
  params,
  searchParams,
}: {
  params: Promise<{ token: string }>;
  searchParams: Promise<{ error?: string }>;
}) {
  const { token } = await params;
  const { error } = await searchParams;
  const parsed = ZInvitationToken.safeParse({ token });
  if (!parsed.success) {
    return <Message title="Invitation not found">This link is not a valid invitation.</Message>;
  }
  const session = await auth();
  if (!session?.user?.id) {
    return (
      <Message title="You have been invited to HyperEnsemble">
        <p>
          Sign in with the email address the invitation was sent to, or create an account with it; you come
          back here to accept.
        </p>
        <div className="flex flex-wrap gap-3">
          <Link
            className="inline-block rounded bg-indigo-700 px-4 py-2 font-medium text-white"
            href={signInUrl(`/invite/${token}`)}
          >
            Sign in
          </Link>
          <Link
            className="inline-block rounded border border-slate-400 px-4 py-2 font-medium"
            href={`/signup?invite=${encodeURIComponent(token)}`}
          >
            Create an account
          </Link>
        </div>
      </Message>
    );
  }
  let preview: Awaited<ReturnType<typeof previewInvitationHandler>>;
  try {
    preview = await previewInvitationHandler({
      ctx: { db, user: { id: session.user.id } },
      input: parsed.data,
    });
  } catch (err) {
    if (err instanceof TRPCError && err.code === "NOT_FOUND") {
      return <Message title="Invitation not found">It may have been revoked. Ask for a new link.</Message>;
    }
    throw err;
  }
  if (preview.accepted) {
    return <Message title="Invitation already used">This invitation has been accepted.</Message>;
  }
  if (preview.expired) {
    return <Message title="Invitation expired">Ask an admin of {preview.org.name} for a new link.</Message>;
  }
  return (
    <Message title={`Join ${preview.org.name}`}>
      <p>
        You are invited as <strong>{preview.role}</strong>. The invitation is for{" "}
        <strong>{preview.email}</strong>.
      </p>
      {error ? (
        <p role="alert" className="rounded bg-red-50 p-2 text-red-700 dark:bg-red-950 dark:text-red-300">
          {error}
        </p>
      ) : null}
      {preview.emailMatches ? (
        <form action={acceptInvitation}>
          <input type="hidden" name="token" value={parsed.data.token} />
          <button
            type="submit"
            className="rounded bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700"
          >
            Accept and join {preview.org.name}
          </button>
        </form>
      ) : (
        <p
          role="alert"
          className="rounded bg-amber-50 p-2 text-amber-800 dark:bg-amber-950 dark:text-amber-200"
        >
          You are signed in with a different email address. Sign out and sign in as {preview.email} to accept.
        </p>
      )}
    </Message>
  );
}
