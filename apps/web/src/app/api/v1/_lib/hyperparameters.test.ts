// The trainer's hyperparameter registry is the one source of the docs table (docs/api.md,
// "Hyperparameters") and of the OpenAPI document's Hyperparameters schema: the three must agree.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  describeDomain,
  HYPERPARAMETERS,
  hyperparametersSchema,
} from "@hyperensemble/engine/hyperparameters";
import { expect, it } from "vitest";
import { buildOpenApiDocument } from "./openapi";

const docsPath = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../../../../../../docs/api.md",
);

/** The table as docs/api.md must carry it, rendered from the registry. */
function registryTable(): string {
  const rows = HYPERPARAMETERS.map(
    (h) =>
      `| \`${h.name}\` | ${h.type} | ${describeDomain(h)} | ${h.default === null ? "—" : `\`${String(h.default)}\``} | ${h.meaning} |`,
  );
  return ["| name | type | domain | default | meaning |", "| --- | --- | --- | --- | --- |", ...rows].join(
    "\n",
  );
}

it("docs/api.md's hyperparameter table is the registry's", () => {
  const docs = readFileSync(docsPath, "utf8");
  const match = /<!-- hyperparameters:begin -->\n([\s\S]*?)\n<!-- hyperparameters:end -->/.exec(docs);
  expect(match, "docs/api.md lacks the hyperparameters markers").not.toBeNull();
  expect(match![1], `paste this table into docs/api.md:\n${registryTable()}`).toBe(registryTable());
});

it("the OpenAPI document's Hyperparameters schema and the create body's searchSpace and fixed names are the registry's", () => {
  const doc = buildOpenApiDocument("http://hens.test");
  const component = doc.components.schemas.Hyperparameters as {
    properties: Record<string, Record<string, unknown>>;
  };
  expect(Object.keys(component.properties)).toEqual(HYPERPARAMETERS.map((h) => h.name));
  for (const h of HYPERPARAMETERS) {
    const p = component.properties[h.name]!;
    expect(p["description"]).toBe(h.meaning);
    if (h.type === "categorical") expect(p["enum"]).toEqual(h.choices);
    if (h.type === "int") expect(p["type"]).toBe("integer");
    if (h.low !== undefined) expect(p[h.lowExclusive ? "exclusiveMinimum" : "minimum"]).toBe(h.low);
    if (h.high !== undefined) expect(p[h.highExclusive ? "exclusiveMaximum" : "maximum"]).toBe(h.high);
    expect(p["default"]).toEqual(h.default ?? undefined);
  }
  const create = doc.paths["/orgs/{org}/studies"]!["post"] as {
    requestBody: {
      content: {
        "application/json": {
          schema: { properties: Record<string, unknown>; additionalProperties: unknown };
        };
      };
    };
  };
  const body = create.requestBody.content["application/json"].schema;
  expect(body.additionalProperties).toBe(false);
  expect(
    (body.properties["searchSpace"] as { propertyNames: { enum: string[] } }).propertyNames.enum,
  ).toEqual(HYPERPARAMETERS.map((h) => h.name));
  // Fixed settings are values of the same registry: the Hyperparameters schema itself.
  expect(body.properties["fixed"]).toMatchObject({ $ref: "#/components/schemas/Hyperparameters" });
});

it("the trainer's parser takes each registry default and refuses a value just outside each bound", () => {
  const defaults = hyperparametersSchema.parse({}) as Record<string, unknown>;
  for (const h of HYPERPARAMETERS) {
    expect(defaults[h.name]).toEqual(h.default ?? undefined);
    if (h.low !== undefined) {
      const below = h.lowExclusive ? h.low : h.low - (h.type === "int" ? 1 : 1e-9);
      expect(hyperparametersSchema.safeParse({ [h.name]: below }).success, `${h.name} = ${below}`).toBe(
        false,
      );
    }
    if (h.high !== undefined) {
      const above = h.highExclusive ? h.high : h.high + (h.type === "int" ? 1 : 1e-9);
      expect(hyperparametersSchema.safeParse({ [h.name]: above }).success, `${h.name} = ${above}`).toBe(
        false,
      );
    }
    for (const c of h.choices ?? [])
      expect(hyperparametersSchema.safeParse({ [h.name]: c }).success).toBe(true);
    if (h.choices) expect(hyperparametersSchema.safeParse({ [h.name]: "foo" }).success).toBe(false);
  }
});
