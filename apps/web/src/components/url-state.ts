"use client";

import { usePathname, useSearchParams } from "next/navigation";
import { useCallback } from "react";

/**
 * View state (sort, filters, page, the open trial) kept in the URL's query, so a link reproduces what
 * its sender saw. Written with history.replaceState, which Next's router observes (useSearchParams
 * updates) without a server round trip; one call per user action, with every key it changes.
 */
export function useUrlState() {
  const params = useSearchParams();
  const pathname = usePathname();
  const get = useCallback((key: string): string | null => params.get(key), [params]);
  const set = useCallback(
    (patch: Record<string, string | number | null | undefined>, mode: "replace" | "push" = "replace") => {
      const next = new URLSearchParams(window.location.search);
      for (const [k, v] of Object.entries(patch)) {
        if (v === null || v === undefined || v === "") next.delete(k);
        else next.set(k, String(v));
      }
      const query = next.toString();
      const url = `${pathname}${query ? `?${query}` : ""}`;
      if (mode === "push") window.history.pushState(null, "", url);
      else window.history.replaceState(null, "", url);
    },
    [pathname],
  );
  return { get, set };
}

/** One of `allowed`, or `fallback` when the URL holds anything else. */
export function pick<T extends string>(value: string | null, allowed: readonly T[], fallback: T): T {
  return (allowed as readonly string[]).includes(value ?? "") ? (value as T) : fallback;
}

/** A non-negative whole number from the URL, or 0. */
export function pageOf(value: string | null): number {
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}
