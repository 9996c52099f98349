import Link from "next/link";
import { forbidden, redirect } from "next/navigation";
import type { ReactNode } from "react";
import { focusRing } from "@/components/ui";
import { BULL_BOARD_BASE_PATH } from "@/server/admin/bull-board";
import { currentPlatformAdminAccess } from "@/server/admin/context";

export const dynamic = "force-dynamic";

// Every /admin page: platform admins only (HENS_PLATFORM_ADMINS, on the stored email); anyone else
// signed in gets 403, the data behind the pages is refused by the admin tRPC procedures as well.
export default async function AdminLayout({ children }: { children: ReactNode }) {
  const access = await currentPlatformAdminAccess();
  if (access === "anonymous") redirect("/signin");
  if (access !== "admin") forbidden();
  const links = [
    { href: "/admin", label: "Overview" },
    { href: "/admin/orgs", label: "Organisations" },
    { href: "/admin/users", label: "Users" },
    { href: "/admin/queues", label: "Queue (JSON)" },
    { href: BULL_BOARD_BASE_PATH, label: "Queue dashboard" },
  ];
  return (
    <div>
      <header className="flex flex-wrap items-center gap-4 border-b border-slate-200 bg-white px-6 py-3 text-sm dark:border-slate-800 dark:bg-slate-900">
        <Link href="/" className={`text-base font-semibold ${focusRing}`}>
          HyperEnsemble
        </Link>
        <span className="rounded bg-amber-100 px-2 py-0.5 text-amber-900 dark:bg-amber-900 dark:text-amber-100">
          platform admin
        </span>
        <nav aria-label="Admin">
          <ul className="flex flex-wrap gap-4">
            {links.map((l) => (
              <li key={l.href}>
                <a href={l.href} className={`hover:underline ${focusRing}`}>
                  {l.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" className="mx-auto max-w-7xl space-y-4 p-6">
        {children}
      </main>
    </div>
  );
}
