import type { TrialFilter } from "@/lib/trial-filters";

/**
 * A brush on one parallel-coordinates axis, from screen to filter: the dragged pixel span [a, b] maps
 * back through the axis's scale (linear, or log10) to a value range, or, on a categorical axis, to
 * the categories whose slots lie inside it.
 */
export interface BrushAxis {
  name: string;
  /** The axis's data domain and its pixel range (range[0] is the bottom on a vertical axis). */
  domain: [number, number];
  range: [number, number];
  log: boolean;
  /** Categorical axis: its values in slot order (slot k sits at value k of the domain). */
  categories?: readonly (string | number | boolean)[];
}

/** The data value at pixel `px` (the inverse of frame.ts's scale). */
export function invertPixel(axis: BrushAxis, px: number): number {
  const t = (v: number) => (axis.log ? Math.log10(v) : v);
  const [d0, d1] = [t(axis.domain[0]), t(axis.domain[1])];
  const u = d0 + ((px - axis.range[0]) / (axis.range[1] - axis.range[0])) * (d1 - d0);
  return axis.log ? 10 ** u : u;
}

/** The filter a drag from pixel a to pixel b selects; null when it selects nothing (a click, no slot). */
export function brushFilter(axis: BrushAxis, a: number, b: number): TrialFilter | null {
  if (Math.abs(a - b) < 2) return null;
  const [v0, v1] = [invertPixel(axis, a), invertPixel(axis, b)];
  const [lo, hi] = v0 <= v1 ? [v0, v1] : [v1, v0];
  if (axis.categories) {
    const values = axis.categories.filter((_, k) => k >= lo && k <= hi);
    return values.length > 0 ? { name: axis.name, values: [...values] } : null;
  }
  return { name: axis.name, min: Number(lo.toPrecision(6)), max: Number(hi.toPrecision(6)) };
}

/** The pixel span a filter covers on its axis (to draw the brush from the URL); null if none. */
export function filterSpan(axis: BrushAxis, filter: TrialFilter): [number, number] | null {
  const px = (v: number) => {
    const t = (x: number) => (axis.log ? Math.log10(x) : x);
    const [d0, d1] = [t(axis.domain[0]), t(axis.domain[1])];
    return axis.range[0] + ((t(v) - d0) / (d1 - d0 || 1)) * (axis.range[1] - axis.range[0]);
  };
  if ("values" in filter) {
    if (!axis.categories) return null;
    const slots = filter.values.map((v) => axis.categories!.indexOf(v)).filter((k) => k >= 0);
    if (slots.length === 0) return null;
    return [px(Math.min(...slots) - 0.4), px(Math.max(...slots) + 0.4)];
  }
  const lo = Math.max(filter.min ?? axis.domain[0], axis.domain[0]);
  const hi = Math.min(filter.max ?? axis.domain[1], axis.domain[1]);
  return [px(lo), px(Math.max(lo, hi))];
}
