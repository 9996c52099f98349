import Link from "next/link";
import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { auth, signOut } from "@/auth";
import { OrgNav, OrgSwitcher, ThemeToggle } from "@/components/shell";
import { focusRing } from "@/components/ui";

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
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:rounded focus:bg-white focus:px-3 focus:py-2 focus:text-slate-900"
      >
        Skip to content
      </a>
      <header className="flex flex-wrap items-center justify-between gap-3 border-b border-slate-200 bg-white px-6 py-3 dark:border-slate-800 dark:bg-slate-900">
        <nav aria-label="Main" className="flex flex-wrap items-center gap-4 text-sm">
          <Link href={`/o/${org}/studies`} className={`text-base font-semibold ${focusRing}`}>
            HyperEnsemble
          </Link>
          <span className="sr-only" data-testid="org-slug">
            {org}
          </span>
          <OrgSwitcher org={org} />
          <OrgNav org={org} />
        </nav>
        <div className="flex items-center gap-3 text-sm">
          <ThemeToggle />
          <form action={doSignOut} className="flex items-center gap-3">
            <Link href="/account" className={`text-slate-600 dark:text-slate-400 ${focusRing}`}>
              <span className="hidden xl:inline">{session.user.email}</span>
              <span className="xl:hidden">Account</span>
            </Link>
            <button
              type="submit"
              className={`rounded border border-slate-400 px-2 py-1 dark:border-slate-600 ${focusRing}`}
            >
              Sign out
            </button>
          </form>
        </div>
      </header>
      <main id="main" className="mx-auto max-w-7xl p-6">
        {children}
      </main>
    </div>
  );
}
