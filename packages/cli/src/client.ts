/**
 * A typed client for the HyperEnsemble REST API (/api/v1; see docs/api.md and /api/v1/openapi.json).
 * No dependencies: global fetch. Errors come back as HensApiError with the server's code, status
 * and per-field messages; 429 answers are retried after Retry-After (up to `maxRetries`).
 */

export type StudyState = "DRAFT" | "QUEUED" | "RUNNING" | "PAUSED" | "COMPLETED" | "CANCELLED" | "FAILED";
export type TrialState = "WAITING" | "RUNNING" | "COMPLETE" | "PRUNED" | "FAIL";
export type TokenScope =
  | "studies:read"
  | "studies:write"
  | "trials:write"
  | "datasets:write"
  | "exports:read";
export type ParamValue = string | number | boolean;

/** The study spec (same fields as the web form; validated by the server). */
export interface StudySpec {
  name: string;
  replicas: number;
  trials: number;
  task?: { kind: "closure"; level: 0 | 1 | 2 };
  folds?: number;
  maxEpochs?: number;
  parallelism?: number;
  seed?: number;
  sampler?: "random" | "sobol" | "tpe" | "gp" | "cmaes";
  scheduler?: "none" | "median" | "asha";
  objective?: "L1" | "L2" | "L3";
  searchSpace?: Record<string, unknown>;
}

export interface StudySummary {
  id: string;
  name: string;
  state: StudyState;
  sampler: string;
  maxTrials: number;
  trialsDone: number;
  bestValue: number | null;
  gpuSeconds: number;
  owner: string;
  createdAt: string;
}

export interface TrialRow {
  id: string;
  number: number;
  state: TrialState;
  params: Record<string, ParamValue>;
  attempt: number;
  value: number | null;
  result: {
    value: number;
    L1: number;
    L2: number;
    L3: number;
    phi2: number;
    epochs: number;
    backend: string;
  } | null;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface TrialPage {
  study: { id: string; name: string; state: StudyState; maxTrials: number };
  items: TrialRow[];
  nextAfter: number | null;
}

export interface Me {
  userId: string;
  token: { id: string; scopes: TokenScope[] } | null;
  orgs: { slug: string; name: string; role: string }[];
}

export interface CreatedToken {
  id: string;
  name: string;
  prefix: string;
  scopes: TokenScope[];
  expiresAt: string | null;
  createdAt: string;
  /** The token itself: shown in this response only. */
  token: string;
}

export interface TokenInfo {
  id: string;
  name: string;
  prefix: string;
  scopes: TokenScope[];
  userId: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
}

export type DatasetUpload =
  | { format: "json"; name: string; data: unknown }
  | {
      format: "csv";
      name: string;
      csv: string;
      inputs: string[];
      targets: string[];
      errors: string[];
      subset?: string;
      normalisation?: number;
      covariance?: number[][];
    }
  | TheoryUpload;

/** A theory (docs/api.md): the whole JSON, or its fields with an .npz / .npy files (base64). */
export type TheoryUpload = {
  format: "theory";
  name: string;
  theory?: unknown;
  meta?: unknown;
  npz?: string;
  arrays?: Record<string, string>;
};

export interface DatasetInfo {
  id: string;
  name: string;
  kind: string;
  nPoints: number | null;
  summary: unknown;
  createdAt: string | null;
  builtin: boolean;
}

/** Optuna-shaped study export (format=json). */
export interface StudyExportJson {
  study_name: string;
  study_id: string;
  directions: string[];
  distributions: Record<string, { name: string; attributes: Record<string, unknown> }>;
  trials: {
    number: number;
    state: TrialState;
    value: number | null;
    values: number[] | null;
    datetime_start: string | null;
    datetime_complete: string | null;
    params: Record<string, ParamValue>;
    distributions: Record<string, { name: string; attributes: Record<string, unknown> }>;
    user_attrs: Record<string, number>;
    intermediate_values: Record<string, number>;
  }[];
}

export class HensApiError extends Error {
  override name = "HensApiError";
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly fieldErrors: Record<string, string> | null,
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
  }
}

export interface HensClientOptions {
  /** Base URL of the deployment, e.g. https://hens.example.org (HENS_URL). */
  url: string;
  /** API token `hens_...` (HENS_TOKEN). */
  token: string;
  fetch?: typeof fetch;
  /** Retries of a 429 answer, each after its Retry-After. Default 3. */
  maxRetries?: number;
  sleep?: (ms: number) => Promise<void>;
}

const enc = encodeURIComponent;

export class HensClient {
  private readonly base: string;
  private readonly fetchImpl: typeof fetch;
  private readonly maxRetries: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: HensClientOptions) {
    if (!options.url)
      throw new Error("HENS_URL is not set: the deployment's base URL, e.g. https://hens.example.org");
    if (!options.token)
      throw new Error("HENS_TOKEN is not set: create an API token in your organization's settings");
    this.base = `${options.url.replace(/\/+$/, "")}/api/v1`;
    this.fetchImpl = options.fetch ?? fetch;
    this.maxRetries = options.maxRetries ?? 3;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  private async request(method: "GET" | "POST", path: string, body?: unknown): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.fetchImpl(`${this.base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.options.token}`,
          accept: "application/json, text/csv",
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      if (res.ok) return res;
      const retryAfter = Number(res.headers.get("retry-after") ?? "NaN");
      if (res.status === 429 && attempt < this.maxRetries) {
        await this.sleep((Number.isFinite(retryAfter) ? retryAfter : 1) * 1000);
        continue;
      }
      throw await toApiError(res, Number.isFinite(retryAfter) ? retryAfter : null);
    }
  }

  private async json<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
    return (await (await this.request(method, path, body)).json()) as T;
  }

  me(): Promise<Me> {
    return this.json("GET", "/me");
  }

  listStudies(org: string, opts: { state?: StudyState; take?: number; cursor?: string } = {}) {
    return this.json<{ items: StudySummary[]; nextCursor: string | null }>(
      "GET",
      `/orgs/${enc(org)}/studies${query(opts)}`,
    );
  }

  createStudy(org: string, spec: StudySpec): Promise<{ id: string }> {
    return this.json("POST", `/orgs/${enc(org)}/studies`, spec);
  }

  getStudy(
    org: string,
    studyId: string,
  ): Promise<{ study: Record<string, unknown> & { state: StudyState } }> {
    return this.json("GET", `/orgs/${enc(org)}/studies/${enc(studyId)}`);
  }

  /** pause | resume | cancel | rerun-failed: a state the study cannot leave that way answers 409. */
  controlStudy(org: string, studyId: string, action: "pause" | "resume" | "cancel" | "rerun-failed") {
    return this.json<{ state: StudyState; maxTrials: number; affected: number | null }>(
      "POST",
      `/orgs/${enc(org)}/studies/${enc(studyId)}/${action}`,
    );
  }

  addTrials(org: string, studyId: string, count: number) {
    return this.json<{ state: StudyState; maxTrials: number }>(
      "POST",
      `/orgs/${enc(org)}/studies/${enc(studyId)}/add-trials`,
      { count },
    );
  }

  cloneStudy(org: string, studyId: string, name?: string): Promise<{ id: string }> {
    return this.json("POST", `/orgs/${enc(org)}/studies/${enc(studyId)}/clone`, name ? { name } : {});
  }

  listTrials(org: string, studyId: string, opts: { after?: number; take?: number; state?: TrialState } = {}) {
    return this.json<TrialPage>("GET", `/orgs/${enc(org)}/studies/${enc(studyId)}/trials${query(opts)}`);
  }

  /** Every trial of a study, page by page. */
  async allTrials(org: string, studyId: string): Promise<{ study: TrialPage["study"]; trials: TrialRow[] }> {
    const trials: TrialRow[] = [];
    let after = -1;
    for (;;) {
      const page = await this.listTrials(org, studyId, { after, take: 1000 });
      trials.push(...page.items);
      if (page.nextAfter === null) return { study: page.study, trials };
      after = page.nextAfter;
    }
  }

  async exportStudyCsv(org: string, studyId: string): Promise<string> {
    return (await this.request("GET", `/orgs/${enc(org)}/studies/${enc(studyId)}/export?format=csv`)).text();
  }

  exportStudyJson(org: string, studyId: string): Promise<StudyExportJson> {
    return this.json("GET", `/orgs/${enc(org)}/studies/${enc(studyId)}/export?format=json`);
  }

  listDatasets(org: string) {
    return this.json<{ items: DatasetInfo[] }>("GET", `/orgs/${enc(org)}/datasets`);
  }

  uploadDataset(org: string, upload: DatasetUpload): Promise<DatasetInfo> {
    return this.json("POST", `/orgs/${enc(org)}/datasets`, upload);
  }

  getDataset(org: string, datasetId: string): Promise<DatasetInfo & { data: unknown }> {
    return this.json("GET", `/orgs/${enc(org)}/datasets/${enc(datasetId)}`);
  }

  deleteDataset(org: string, datasetId: string) {
    return this.json<{ id: string; deleted: boolean }>(
      "POST",
      `/orgs/${enc(org)}/datasets/${enc(datasetId)}/delete`,
    );
  }

  listTokens(org: string) {
    return this.json<{ items: TokenInfo[] }>("GET", `/orgs/${enc(org)}/tokens`);
  }

  createToken(org: string, input: { name: string; scopes: TokenScope[]; expiresInDays?: number }) {
    return this.json<CreatedToken>("POST", `/orgs/${enc(org)}/tokens`, input);
  }

  revokeToken(org: string, tokenId: string) {
    return this.json<{ id: string; revokedAt: string }>(
      "POST",
      `/orgs/${enc(org)}/tokens/${enc(tokenId)}/revoke`,
    );
  }
}

function query(params: Record<string, string | number | undefined>): string {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined) as [string, string | number][];
  return entries.length ? `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)]))}` : "";
}

async function toApiError(res: Response, retryAfter: number | null): Promise<HensApiError> {
  const text = await res.text();
  try {
    const { error } = JSON.parse(text) as {
      error: { code: string; message: string; fieldErrors: Record<string, string> | null };
    };
    return new HensApiError(error.message, res.status, error.code, error.fieldErrors, retryAfter);
  } catch {
    return new HensApiError(
      text.slice(0, 200) || res.statusText,
      res.status,
      `HTTP_${res.status}`,
      null,
      retryAfter,
    );
  }
}
