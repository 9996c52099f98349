// Standalone config for the infra tests: `npx vitest run --config infra/vitest.config.ts`.
// They need no database or queue, so none of the root config's global setup; the root config runs
// them too once its include lists infra/**/*.test.ts.
import { defineConfig } from "vitest/config";

// Vitest 5's reporter calls Map.groupBy (Node >= 21) when printing failures: polyfill on Node 20.
const M = Map as unknown as Record<string, unknown>;
if (typeof M["groupBy"] !== "function") {
  M["groupBy"] = <T, K>(items: Iterable<T>, key: (item: T, index: number) => K) => {
    const groups = new Map<K, T[]>();
    let i = 0;
    for (const item of items) {
      const k = key(item, i++);
      const g = groups.get(k);
      if (g) g.push(item);
      else groups.set(k, [item]);
    }
    return groups;
  };
}

export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ["test/**/*.test.ts"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 60_000,
  },
});
