// Helpers for the manifest tests: schema validation through kubernetes-models, label selectors,
// and walking pod templates.
import type { Manifest } from "../k8s/render.ts";

type Validatable = { validate(): void };
type ModelClass = new (data: unknown) => Validatable;

const modelCache = new Map<string, ModelClass>();

/** The kubernetes-models (or @kubernetes-models/keda) class for an apiVersion/kind. */
export async function modelFor(apiVersion: string, kind: string): Promise<ModelClass> {
  const key = `${apiVersion}/${kind}`;
  const cached = modelCache.get(key);
  if (cached) return cached;
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const spec =
    group === "keda.sh"
      ? `@kubernetes-models/keda/keda.sh/${version}/${kind}`
      : group === ""
        ? `kubernetes-models/${version}/${kind}`
        : `kubernetes-models/${group}/${version}/${kind}`;
  const mod = (await import(spec)) as Record<string, ModelClass>;
  const cls = mod[kind];
  if (!cls) throw new Error(`no model class ${kind} in ${spec}`);
  modelCache.set(key, cls);
  return cls;
}

/** Validates one object against the bundled OpenAPI schema; returns the error message or null. */
export async function schemaErrors(doc: { apiVersion: string; kind: string }): Promise<string | null> {
  const Model = await modelFor(doc.apiVersion, doc.kind);
  try {
    new Model(doc).validate();
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Kubernetes label-selector semantics (an empty selector matches everything). */
export function matches(sel: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!sel) return true;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const val = labels[e.key];
    switch (e.operator) {
      case "In":
        if (!has || !(e.values ?? []).includes(val as string)) return false;
        break;
      case "NotIn":
        if (has && (e.values ?? []).includes(val as string)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        throw new Error(`unknown selector operator ${e.operator}`);
    }
  }
  return true;
}

// biome-ignore lint/suspicious/noExplicitAny: rendered objects are walked generically
type Any = any;

export interface PodTemplate {
  owner: Manifest;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: Any;
}

/** Pod templates of every workload (Deployment, StatefulSet, Job, CronJob). */
export function podTemplates(docs: Manifest[]): PodTemplate[] {
  const out: PodTemplate[] = [];
  for (const d of docs as Any[]) {
    let tpl: Any;
    if (d.kind === "Deployment" || d.kind === "StatefulSet" || d.kind === "Job") tpl = d.spec.template;
    else if (d.kind === "CronJob") tpl = d.spec.jobTemplate.spec.template;
    else continue;
    out.push({
      owner: d,
      labels: tpl.metadata?.labels ?? {},
      annotations: tpl.metadata?.annotations ?? {},
      spec: tpl.spec,
    });
  }
  return out;
}

export function component(p: PodTemplate): string {
  return p.labels["app.kubernetes.io/component"] ?? "";
}

/** Resolves a probe/service port (number or name) to a container port number. */
export function resolvePort(container: Any, port: number | string): number | undefined {
  if (typeof port === "number") return port;
  return (container.ports ?? []).find((p: Any) => p.name === port)?.containerPort;
}

export function envNames(container: Any): string[] {
  return (container.env ?? []).map((e: Any) => e.name as string);
}

export function envValue(container: Any, name: string): string | undefined {
  return (container.env ?? []).find((e: Any) => e.name === name)?.value;
}
