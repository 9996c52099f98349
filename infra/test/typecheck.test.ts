import { spawnSync } from "node:child_process";
import path from "node:path";
import { expect, it } from "vitest";
import { INFRA, ROOT } from "./helpers.ts";

// The generator builds every object with kubernetes-models' interfaces: the type check is what
// rejects a misspelt or unknown field (the OpenAPI validation in manifests.test.ts does not).
it("infra type-checks (tsc -p infra)", () => {
  const tsc = path.join(ROOT, "node_modules", ".bin", "tsc");
  const r = spawnSync(tsc, ["--noEmit", "-p", INFRA], { encoding: "utf8", timeout: 120_000 });
  expect(`${r.stdout}${r.stderr}`.trim()).toBe("");
  expect(r.status).toBe(0);
}, 120_000);
