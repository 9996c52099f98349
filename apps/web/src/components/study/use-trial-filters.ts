"use client";

import { encodeFilters, parseFilters, type TrialFilter } from "@/lib/trial-filters";
import { useUrlState } from "../url-state";

/**
 * The study page's trial filters (brush and table range filters), kept in the URL's `tf` key so a
 * link reproduces the selection. Changing them returns the table to its first page.
 */
export function useTrialFilters() {
  const url = useUrlState();
  const raw = url.get("tf");
  const filters = parseFilters(raw);
  const setFilters = (next: readonly TrialFilter[]) =>
    url.set({ tf: next.length > 0 ? encodeFilters(next) : null, tpage: null });
  return { filters, setFilters };
}
