import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { SAMPLER_REGISTRY, SCHEDULER_REGISTRY } from "./registry.ts";
import { REGISTRY_DOCS_END, REGISTRY_DOCS_START, registryMarkdown } from "./registry-docs.ts";
import { AUTO_GP_MAX_PARAMS, AUTO_HUGE_PARAMS } from "./samplers/auto.ts";

const DOC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../../docs/search.md");

describe("docs/search.md's registry tables", () => {
  it("match the registry (UPDATE_DOCS=1 rewrites them)", () => {
    const text = readFileSync(DOC, "utf8");
    const start = text.indexOf(REGISTRY_DOCS_START);
    const end = text.indexOf(REGISTRY_DOCS_END);
    expect(start, "docs/search.md lacks the registry block").toBeGreaterThanOrEqual(0);
    const block = text.slice(start, end + REGISTRY_DOCS_END.length);
    if (process.env["UPDATE_DOCS"] === "1") {
      writeFileSync(DOC, text.replace(block, registryMarkdown()));
      return;
    }
    expect(block).toBe(registryMarkdown());
  });

  it("state auto's rule with the thresholds the code uses", () => {
    const text = readFileSync(DOC, "utf8");
    expect(text).toContain(`more than ${AUTO_HUGE_PARAMS} parameters: \`sobol\``);
    expect(text).toContain(`at most ${AUTO_GP_MAX_PARAMS} numeric parameters: \`gp\``);
  });

  it("list every registered sampler and scheduler", () => {
    const table = registryMarkdown();
    for (const e of [...SAMPLER_REGISTRY, ...SCHEDULER_REGISTRY])
      expect(table).toContain(`| \`${e.name}\` |`);
  });
});
