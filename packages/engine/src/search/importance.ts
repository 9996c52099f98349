/**
 * Parameter importance for dashboards: permutation importance on a random forest fitted to the
 * completed trials (loss on the unit-cube encoding). Shuffling an important parameter's columns
 * raises the forest's error a lot; scores are normalised to sum to 1.
 */

import { SearchRng } from "../rng.ts";
import { RandomForest } from "./forest.ts";
import { UnitEncoder } from "./samplers/encoding.ts";
import { orderedParamNames, ownSpec, type SearchSpace } from "./space.ts";
import { type Direction, minimiseSign, type StoredTrial } from "./types.ts";

export function paramImportance(
  space: SearchSpace,
  trials: readonly StoredTrial[],
  options: { direction?: Direction; seed?: number; repeats?: number } = {},
): Record<string, number> {
  const names = orderedParamNames(space);
  const done = trials.filter(
    (t) => t.state === "COMPLETE" && t.value !== undefined && Number.isFinite(t.value),
  );
  const result: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  if (done.length < 4) return result;
  const encoder = new UnitEncoder(space);
  const sign = minimiseSign(options.direction);
  const x = done.map((t) => encoder.encode(t.params));
  const y = done.map((t) => sign * t.value!);
  const rng = new SearchRng(options.seed ?? 0);
  const forest = new RandomForest(x, y, rng.nextUint32(), { trees: 50 });
  const mse = (rows: number[][]) =>
    rows.reduce((a, r, i) => a + (forest.predict(r)[0] - y[i]!) ** 2, 0) / rows.length;
  const base = mse(x);
  const columns = columnsByParam(space, encoder);
  for (const name of names) {
    let increase = 0;
    const repeats = options.repeats ?? 5;
    for (let r = 0; r < repeats; r++) {
      const perm = rng.shuffle(x.map((_, i) => i));
      const shuffled = x.map((row, i) => {
        const copy = row.slice();
        for (const c of columns.get(name)!) copy[c] = x[perm[i]!]![c]!;
        return copy;
      });
      increase += Math.max(0, mse(shuffled) - base);
    }
    result[name] = increase / repeats;
  }
  const total = Object.values(result).reduce((a, b) => a + b, 0);
  if (total > 0) for (const n of names) result[n] = result[n]! / total;
  return result;
}

function columnsByParam(space: SearchSpace, encoder: UnitEncoder): Map<string, number[]> {
  const map = new Map<string, number[]>();
  let offset = 0;
  for (const name of encoder.names) {
    const spec = ownSpec(space, name)!;
    const width = spec.type === "categorical" ? spec.choices.length : 1;
    map.set(
      name,
      Array.from({ length: width }, (_, i) => offset + i),
    );
    offset += width;
  }
  return map;
}
