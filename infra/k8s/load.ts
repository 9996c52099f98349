import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { checkValues, defaults, mergeValues, type Values } from "./values.ts";

export const K8S_DIR = path.dirname(fileURLToPath(import.meta.url));
export const VALUES_DIR = path.join(K8S_DIR, "values");
export const RENDERED_DIR = path.join(K8S_DIR, "rendered");

/** Every values file: infra/k8s/values/<env>.yaml -> env name. */
export function valuesFiles(): { env: string; file: string }[] {
  return readdirSync(VALUES_DIR)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => ({ env: f.replace(/\.yaml$/, ""), file: path.join(VALUES_DIR, f) }));
}

/** Parses a values file, merges it onto the defaults and checks the result. */
export function loadValues(file: string): Values {
  const override = parse(readFileSync(file, "utf8")) ?? {};
  return checkValues(mergeValues(structuredClone(defaults), override));
}
