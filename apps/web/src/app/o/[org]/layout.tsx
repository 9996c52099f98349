import Link from "next/link";
import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { auth, signOut } from "@/auth";

export const dynamic = "force-dynamic";

export default async function OrgLayout({
  children,
  params,
}: {
  children: ReactNode;
  params: Promise<{ org: string }>;
}) {
  const session = await auth();
  if (!session?.user?.id) redirect("/signin");
  const { org } = await params;
  async function doSignOut() {
    "use server";
    await signOut({ redirectTo: "/signin" });
  }
  return (
    <div>
      <header className="flex items-center justify-between border-b border-slate-200 bg-white px-6 py-3 dark:border-slate-800 dark:bg-slate-900">
        <nav className="flex items-center gap-6 text-sm">
          <Link href={`/o/${org}/studies`} className="text-base font-semibold">
            HyperEnsemble
          </Link>
          <span className="rounded bg-slate-100 px-2 py-0.5 text-xs dark:bg-slate-800" data-testid="org-slug">
            {org}
          </span>
          <Link href={`/o/${org}/studies`} className="hover:underline">
            Studies
          </Link>
          <Link href={`/o/${org}/studies/new`} className="hover:underline">
            New study
          </Link>
        </nav>
        <form action={doSignOut} className="flex items-center gap-3 text-sm">
          <span className="text-slate-500">{session.user.email}</span>
          <button type="submit" className="rounded border border-slate-300 px-2 py-1 dark:border-slate-700">
            Sign out
          </button>
        </form>
      </header>
      <main className="mx-auto max-w-6xl p-6">{children}</main>
    </div>
  );
}
