import { defineConfig } from "vitest/config";

// Vitest 5's reporter calls Map.groupBy (Node >= 21) when printing failures; on Node 20 that crashes
// the run instead of showing the failure. Polyfill it in the main process.
const groupable = Map as unknown as Record<string, unknown>;
const objectGroupable = Object as unknown as Record<string, unknown>;
if (typeof groupable["groupBy"] !== "function") {
  groupable["groupBy"] = <T, K>(items: Iterable<T>, key: (item: T, index: number) => K) => {
    const groups = new Map<K, T[]>();
    let index = 0;
    for (const item of items) {
      const k = key(item, index++);
      const group = groups.get(k);
      if (group) group.push(item);
      else groups.set(k, [item]);
    }
    return groups;
  };
}
if (typeof objectGroupable["groupBy"] !== "function") {
  objectGroupable["groupBy"] = <T>(items: Iterable<T>, key: (item: T, index: number) => PropertyKey) => {
    const groups: Record<PropertyKey, T[]> = Object.create(null);
    let index = 0;
    for (const item of items) {
      const k = key(item, index++);
      groups[k] ??= [];
      groups[k].push(item);
    }
    return groups;
  };
}

export default defineConfig({
  test: {
    include: [
      "packages/**/src/**/*.test.ts",
      "apps/**/src/**/*.test.ts",
      "scripts/**/*.test.ts",
      "infra/test/**/*.test.ts",
    ],
    exclude: ["**/node_modules/**", "**/e2e/**", "**/.next/**", "**/dist/**"],
    globalSetup: ["./test/global-setup.ts"],
    pool: "forks",
    // Two cores are shared: at most two test files at a time.
    fileParallelism: true,
    maxWorkers: 2,
    // Generous for a loaded 2-core CI (tests check correctness, not speed); a hang still fails.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 15_000,
  },
});
