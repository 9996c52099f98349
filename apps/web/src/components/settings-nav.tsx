"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { focusRing } from "./ui";

export function SettingsNav({ org }: { org: string }) {
  const pathname = usePathname();
  const items = [
    { href: `/o/${org}/settings`, label: "Members and invitations" },
    { href: `/o/${org}/settings/tokens`, label: "API tokens" },
    { href: `/o/${org}/settings/webhooks`, label: "Webhooks" },
    { href: `/o/${org}/settings/audit`, label: "Audit log" },
    { href: `/o/${org}/settings/org`, label: "Organisation" },
  ];
  return (
    <nav aria-label="Settings">
      <ul className="flex flex-wrap gap-x-2 border-b border-slate-200 dark:border-slate-800">
        {items.map((i) => {
          const current = pathname === i.href;
          return (
            <li key={i.href}>
              <Link
                href={i.href}
                aria-current={current ? "page" : undefined}
                className={`inline-block border-b-2 px-3 py-1.5 text-sm ${current ? "border-indigo-600 font-semibold" : "border-transparent"} ${focusRing}`}
              >
                {i.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
