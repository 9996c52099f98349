"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { useTRPC } from "@/trpc/react";
import { focusRing } from "./ui";

const SECTIONS = [
  { href: "studies", label: "Studies" },
  { href: "compare", label: "Compare" },
  { href: "runners", label: "Runners" },
  { href: "datasets", label: "Datasets" },
  { href: "settings", label: "Settings" },
] as const;

export function OrgNav({ org }: { org: string }) {
  const pathname = usePathname();
  return (
    <ul className="flex flex-wrap items-center gap-x-3 gap-y-1 sm:gap-4">
      {SECTIONS.map((s) => {
        const href = `/o/${org}/${s.href}`;
        const current = pathname === href || pathname.startsWith(`${href}/`);
        return (
          <li key={s.href}>
            <Link
              href={href}
              aria-current={current ? "page" : undefined}
              className={`rounded px-1 hover:underline ${current ? "font-semibold text-indigo-700 dark:text-indigo-300" : ""} ${focusRing}`}
            >
              {s.label}
            </Link>
          </li>
        );
      })}
    </ul>
  );
}

/** Switches organisation, keeping the section (studies, runners, ...) but not ids from the old org. */
export function OrgSwitcher({ org }: { org: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const mine = useQuery(trpc.org.mine.queryOptions());
  const orgs = mine.data ?? [{ slug: org, name: org, role: "" }];
  return (
    <label className="flex items-center gap-2 text-sm">
      <span className="sr-only">Organisation</span>
      <select
        value={org}
        data-testid="org-switcher"
        className={`max-w-[11rem] rounded border border-slate-400 bg-white px-2 py-1 dark:border-slate-600 dark:bg-slate-800 ${focusRing}`}
        onChange={(e) => {
          const section = pathname.split("/")[3] ?? "studies";
          router.push(`/o/${e.target.value}/${section}`);
        }}
      >
        {orgs.map((o) => (
          <option key={o.slug} value={o.slug}>
            {o.name}
            {o.role ? ` (${o.role.toLowerCase()})` : ""}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Light/dark: follows the system until chosen; the choice lives in localStorage. */
export function ThemeToggle() {
  const [dark, setDark] = useState<boolean | null>(null);
  useEffect(() => setDark(document.documentElement.classList.contains("dark")), []);
  return (
    <button
      type="button"
      aria-pressed={dark ?? false}
      className={`rounded border border-slate-400 px-2 py-1 text-sm dark:border-slate-600 ${focusRing}`}
      onClick={() => {
        const next = !document.documentElement.classList.contains("dark");
        document.documentElement.classList.toggle("dark", next);
        localStorage.setItem("hens-theme", next ? "dark" : "light");
        setDark(next);
      }}
    >
      {dark ? "Light" : "Dark"}
      <span className="sr-only sm:not-sr-only"> mode</span>
    </button>
  );
}

/** Runs before paint so a dark-mode user never sees a white flash. */
export const THEME_SCRIPT = `try{var t=localStorage.getItem("hens-theme");if(t==="dark"||(!t&&matchMedia("(prefers-color-scheme: dark)").matches))document.documentElement.classList.add("dark")}catch(e){}`;
