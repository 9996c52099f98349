import { z } from "zod";
import { SearchRng } from "../../rng.ts";
import { defineSampler, option } from "../define.ts";
import {
  fromInternal,
  isActive,
  orderedParamNames,
  ownSpec,
  type ParamSpec,
  type ParamValue,
  type SearchSpace,
} from "../space.ts";
import type { Sampler, StoredTrial } from "../types.ts";
import { paramsKey } from "./common.ts";

export const MAX_GRID_SIZE = 100_000;

export interface GridOptions {
  /** Points per continuous parameter (evenly spaced on its internal, possibly log, scale). */
  pointsPerAxis?: number;
  /** Visit the grid in declaration order instead of a seeded shuffle. */
  ordered?: boolean;
}

/** Values a parameter takes on the grid. */
export function gridValues(spec: ParamSpec, pointsPerAxis: number): ParamValue[] {
  if (spec.type === "categorical") return [...spec.choices];
  const step = spec.type === "int" ? spec.step : spec.step;
  if (step !== undefined && !spec.log) {
    const count = Math.round((spec.high - spec.low) / step) + 1;
    if (count <= pointsPerAxis)
      return Array.from({ length: count }, (_, i) => fromInternal(spec, spec.low + i * step));
  }
  const lo = spec.log ? Math.log(spec.low) : spec.low;
  const hi = spec.log ? Math.log(spec.high) : spec.high;
  const values = new Set<number>();
  for (let i = 0; i < pointsPerAxis; i++) {
    const x = pointsPerAxis === 1 ? (lo + hi) / 2 : lo + ((hi - lo) * i) / (pointsPerAxis - 1);
    values.add(fromInternal(spec, x));
  }
  return [...values];
}

/** Every configuration of the grid, respecting conditions (an inactive parameter does not branch). */
export function enumerateGrid(space: SearchSpace, pointsPerAxis: number): Record<string, ParamValue>[] {
  const names = orderedParamNames(space);
  let partials: Record<string, ParamValue>[] = [{}];
  for (const name of names) {
    const spec = ownSpec(space, name)!;
    const values = gridValues(spec, pointsPerAxis);
    const next: Record<string, ParamValue>[] = [];
    for (const partial of partials) {
      if (!isActive(spec, partial)) next.push(partial);
      else for (const v of values) next.push({ ...partial, [name]: v });
      if (next.length > MAX_GRID_SIZE)
        throw new Error(`grid has more than ${MAX_GRID_SIZE} points; lower pointsPerAxis`);
    }
    partials = next;
  }
  return partials;
}

/**
 * A point's key as it survives storage: the history comes back from Postgres with the last digits
 * of some floats changed (0.0010000000000000002 is read back as 0.001), and an exact key then never
 * matches, so the grid would repeat points. Twelve significant digits separate any two grid values.
 */
function storedKey(params: Readonly<Record<string, ParamValue>>): string {
  const rounded: Record<string, ParamValue> = {};
  for (const [k, v] of Object.entries(params))
    rounded[k] = typeof v === "number" ? Number(v.toPrecision(12)) : v;
  return paramsKey(rounded);
}

/** Exhaustive grid in a seeded order; skips points already tried (or pending), then cycles. */
export class GridSampler implements Sampler {
  readonly name = "grid";
  private cache: { space: SearchSpace; grid: Record<string, ParamValue>[] } | undefined;

  constructor(
    private readonly seed: number,
    private readonly options: GridOptions = {},
  ) {}

  ask(space: SearchSpace, trials: readonly StoredTrial[]) {
    const grid = this.gridFor(space);
    const used = new Map<string, number>();
    for (const t of trials) {
      const k = storedKey(t.params);
      used.set(k, (used.get(k) ?? 0) + 1);
    }
    const round = Math.floor(trials.length / grid.length);
    for (const point of grid) if ((used.get(storedKey(point)) ?? 0) <= round) return { ...point };
    return { ...grid[trials.length % grid.length]! };
  }

  private gridFor(space: SearchSpace): Record<string, ParamValue>[] {
    if (this.cache?.space !== space) {
      const grid = enumerateGrid(space, this.options.pointsPerAxis ?? 5);
      if (!this.options.ordered) new SearchRng(this.seed).shuffle(grid);
      this.cache = { space, grid };
    }
    return this.cache.grid;
  }
}

export const gridEntry = defineSampler({
  name: "grid",
  description: "Every combination of the parameters' grid values, each once before any repeats.",
  finiteGrid: true,
  options: z
    .object({
      pointsPerAxis: option(z.number().int().min(1).max(1000), {
        description: "Points per continuous parameter, evenly spaced on its (log) scale",
        default: 5,
      }),
      ordered: option(z.boolean(), {
        description: "Visit the grid in declaration order instead of a seeded shuffle",
        default: false,
      }),
    })
    .strict(),
  create: (seed, options) => new GridSampler(seed, options),
});
