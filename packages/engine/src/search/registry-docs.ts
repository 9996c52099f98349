/**
 * docs/search.md's registry tables, generated from the registry so the two cannot drift
 * (registry-docs.test.ts checks the file; `UPDATE_DOCS=1` on that test rewrites the block).
 */
import { type OptionsSchema, optionDocs } from "./define.ts";
import { SAMPLER_REGISTRY, SCHEDULER_REGISTRY } from "./registry.ts";

export const REGISTRY_DOCS_START =
  "<!-- registry:start (generated from packages/engine/src/search/registry.ts) -->";
export const REGISTRY_DOCS_END = "<!-- registry:end -->";

function options(schema: OptionsSchema): string {
  const docs = optionDocs(schema);
  if (docs.length === 0) return "none";
  return docs
    .map((d) => {
      const type =
        d.control.kind === "enum" ? d.control.choices.map((c) => `\`${c}\``).join("/") : d.control.kind;
      return `\`${d.name}\` (${type}, default ${String(d.default)}): ${d.description}`;
    })
    .join("<br>");
}

export function registryMarkdown(): string {
  const lines = [
    REGISTRY_DOCS_START,
    "",
    "| sampler | what | multi-objective | options |",
    "| --- | --- | --- | --- |",
    ...SAMPLER_REGISTRY.map(
      (e) =>
        `| \`${e.name}\` | ${e.description} | ${e.multiObjective ? "yes" : "no"} | ${options(e.options)} |`,
    ),
    "",
    "| scheduler | what | options |",
    "| --- | --- | --- |",
    ...SCHEDULER_REGISTRY.map((e) => `| \`${e.name}\` | ${e.description} | ${options(e.options)} |`),
    "",
    REGISTRY_DOCS_END,
  ];
  return lines.join("\n");
}
