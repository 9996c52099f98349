/**
 * A typed client for the HyperEnsemble REST API (/api/v1; see docs/api.md and /api/v1/openapi.json).
 * No dependencies: global fetch. Errors come back as HensApiError with the server's code, status
 * and per-field messages; 429 answers are retried after Retry-After (up to `maxRetries`). A server
 * that does not answer within `timeoutMs` (HENS_TIMEOUT) or cannot be reached is a HensNetworkError.
 */

export type StudyState = "DRAFT" | "QUEUED" | "RUNNING" | "PAUSED" | "COMPLETED" | "CANCELLED" | "FAILED";
export type TrialState = "WAITING" | "RUNNING" | "COMPLETE" | "PRUNED" | "FAIL";
export type TokenScope =
  | "studies:read"
  | "studies:write"
  | "trials:write"
  | "datasets:write"
  | "exports:read"
  | "members:read";
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
  /** Another study's id: its completed trials that fit this space seed the sampler. */
  warmStartFrom?: string;
  /** Hyperparameter name → value for every trial, never searched (docs/api.md, "Fixed settings"). */
  fixed?: Record<string, ParamValue>;
}

export interface StudySummary {
  id: string;
  name: string;
  state: StudyState;
  sampler: string;
  maxTrials: number;
  trialsDone: number;
  /** Trials per state: a study with failures says how many. */
  trialCounts: Record<TrialState, number>;
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

/**
 * A theory as files, for theories past the JSON body cap (docs/api.md, "Large theories"): sent as
 * multipart/form-data to POST /orgs/{org}/datasets/theory, the files as they are on disk.
 */
export type TheoryFilesUpload = {
  format: "theory-files";
  name: string;
  /** The whole theory as a JSON file, alone. */
  theory?: Uint8Array;
  /** Its JSON fields, with `npz` or `arrays`. */
  meta?: Uint8Array;
  npz?: Uint8Array;
  /** .npy files by array path (subsets/0/fk). */
  arrays?: Record<string, Uint8Array>;
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

/** A final fit as the API serves it (docs/api.md "Fits"). */
export interface FitRow {
  id: string;
  studyId: string;
  trialNumber: number;
  replicas: number;
  state: "QUEUED" | "RUNNING" | "COMPLETED" | "FAILED" | "CANCELLED";
  progress: number;
  runnerSeconds: number;
  kept: number | null;
  discarded: number | null;
  error: string | null;
  outcome?: {
    centralChi2: number;
    phi2: number;
    datasets: { name: string; nPoints: number; chi2: number | null }[];
  } | null;
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

/** The server could not be reached, or did not answer in time: nothing was decided by it. */
export class HensNetworkError extends Error {
  override name = "HensNetworkError";
}

/** One server-sent event of /events (docs/api.md, "Push"). */
export interface HensEvent {
  id: string;
  type: string;
  studyId: string | null;
  createdAt: string;
  data: Record<string, unknown>;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

export interface HensClientOptions {
  /** Base URL of the deployment, e.g. https://hens.example.org (HENS_URL). */
  url: string;
  /** API token `hens_...` (HENS_TOKEN). */
  token: string;
  fetch?: typeof fetch;
  /** Retries of a 429 answer, each after its Retry-After. Default 3. */
  maxRetries?: number;
  sleep?: (ms: number) => Promise<void>;
  /** A request (answer and body) may take this long. Default 30 s. */
  timeoutMs?: number;
}

const enc = encodeURIComponent;

export class HensClient {
  private readonly base: string;
  private readonly fetchImpl: typeof fetch;
  private readonly maxRetries: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly timeoutMs: number;

  constructor(private readonly options: HensClientOptions) {
    if (!options.url)
      throw new Error("HENS_URL is not set: the deployment's base URL, e.g. https://hens.example.org");
    if (!options.token)
      throw new Error("HENS_TOKEN is not set: create an API token in your organization's settings");
    this.base = `${options.url.replace(/\/+$/, "")}/api/v1`;
    this.fetchImpl = options.fetch ?? fetch;
    this.maxRetries = options.maxRetries ?? 3;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** fetch with the token, the timeout, and network failures as HensNetworkError. */
  private async send(
    path: string,
    init: RequestInit & { headers: Record<string, string> },
    signal?: AbortSignal,
  ) {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    try {
      return await this.fetchImpl(`${this.base}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${this.options.token}`, ...init.headers },
        signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      if (timeout.aborted)
        throw new HensNetworkError(
          `no answer from ${this.base} within ${this.timeoutMs / 1000} s (HENS_TIMEOUT)`,
        );
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new HensNetworkError(
        `cannot reach ${this.base}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
      );
    }
  }

  private async request(method: "GET" | "POST", path: string, body?: unknown): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      // a form sets its own multipart Content-Type (with its boundary)
      const form = body instanceof FormData;
      const res = await this.send(path, {
        method,
        headers: {
          accept: "application/json, text/csv",
          ...(body !== undefined && !form ? { "content-type": "application/json" } : {}),
        },
        ...(body !== undefined ? { body: form ? body : JSON.stringify(body) } : {}),
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
    const res = await this.request(method, path, body);
    try {
      return (await res.json()) as T;
    } catch (err) {
      if ((err as Error).name === "TimeoutError")
        throw new HensNetworkError(
          `no answer from ${this.base} within ${this.timeoutMs / 1000} s (HENS_TIMEOUT)`,
        );
      throw err;
    }
  }

  /**
   * Server-sent events of one study (or, without `studyId`, the whole org), resumed after
   * `lastEventId` when given. The connection must answer within the timeout; after that the stream
   * stays open while the server sends anything (it sends a keep-alive every 15 s), and ends with a
   * HensNetworkError when it stays silent for `idleMs`. Stop early with `signal`.
   */
  async *events(
    org: string,
    opts: { studyId?: string; lastEventId?: string; signal?: AbortSignal; idleMs?: number } = {},
  ): AsyncGenerator<HensEvent> {
    yield* await this.openEvents(org, opts);
  }

  /** As `events`, but resolves once the stream is open (or throws its refusal): nothing is missed after. */
  async openEvents(
    org: string,
    opts: { studyId?: string; lastEventId?: string; signal?: AbortSignal; idleMs?: number } = {},
  ): Promise<AsyncGenerator<HensEvent>> {
    const path = opts.studyId
      ? `/orgs/${enc(org)}/studies/${enc(opts.studyId)}/events`
      : `/orgs/${enc(org)}/events`;
    const idle = new AbortController();
    const signal = opts.signal ? AbortSignal.any([idle.signal, opts.signal]) : idle.signal;
    // The timeout covers the answer's headers only (a fetch signal would cut the stream's body too);
    // once open, the stream's own idle timer takes over.
    const connect = new AbortController();
    const connectTimer = setTimeout(() => connect.abort(), this.timeoutMs);
    const res = await this.fetchImpl(`${this.base}${path}`, {
      headers: {
        authorization: `Bearer ${this.options.token}`,
        accept: "text/event-stream",
        ...(opts.lastEventId ? { "last-event-id": opts.lastEventId } : {}),
      },
      signal: AbortSignal.any([signal, connect.signal]),
    })
      .catch((err: unknown) => {
        if (opts.signal?.aborted) throw err;
        throw new HensNetworkError(
          connect.signal.aborted
            ? `no answer from ${this.base} within ${this.timeoutMs / 1000} s (HENS_TIMEOUT)`
            : `cannot open the event stream at ${this.base}: ${(err as Error).message}`,
        );
      })
      .finally(() => clearTimeout(connectTimer));
    if (!res.ok) throw await toApiError(res, null);
    if (!res.body) throw new HensNetworkError("the event stream has no body");
    return readEventStream(res.body, idle, opts.idleMs ?? Math.max(this.timeoutMs, 45_000));
  }

  me(): Promise<Me> {
    return this.json("GET", "/me");
  }

  /** `name`: exactly this name; `q`: the name contains it. */
  listStudies(
    org: string,
    opts: { state?: StudyState; take?: number; cursor?: string; name?: string; q?: string } = {},
  ) {
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

  /** Delete a study with its trials; 409 while runners hold one of its trials (cancel first). */
  deleteStudy(org: string, studyId: string) {
    return this.json<{ id: string; deleted: true; trials: number }>(
      "POST",
      `/orgs/${enc(org)}/studies/${enc(studyId)}/delete`,
    );
  }

  /** Known configurations, evaluated first; those the study already has are skipped. */
  enqueueConfigurations(org: string, studyId: string, configurations: Record<string, ParamValue>[]) {
    return this.json<{ trialIds: string[]; created: number; duplicates: number }>(
      "POST",
      `/orgs/${enc(org)}/studies/${enc(studyId)}/enqueue`,
      { configurations },
    );
  }

  /** Team (issue 20): add and/or remove a study's tags; the study's tags after the change. */
  tagStudy(org: string, studyId: string, change: { add?: string[]; remove?: string[] }) {
    return this.json<{ id: string; tags: string[] }>(
      "POST",
      `/orgs/${enc(org)}/studies/${enc(studyId)}/tags`,
      change,
    );
  }

  /** A study's note (null removes it). */
  noteStudy(org: string, studyId: string, note: string | null) {
    return this.json<{ id: string; note: string | null }>(
      "POST",
      `/orgs/${enc(org)}/studies/${enc(studyId)}/note`,
      {
        note,
      },
    );
  }

  /** Archive or unarchive a study (a running study keeps running). */
  archiveStudy(org: string, studyId: string, archived: boolean) {
    return this.json<{ id: string; archivedAt: string | null }>(
      "POST",
      `/orgs/${enc(org)}/studies/${enc(studyId)}/archive`,
      { archived },
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

  /** Optuna's JournalStorage file (JSON lines), as served: `optuna-dashboard study.log` opens it. */
  async exportStudyOptuna(org: string, studyId: string): Promise<string> {
    return (
      await this.request("GET", `/orgs/${enc(org)}/studies/${enc(studyId)}/export?format=optuna`)
    ).text();
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

  uploadTheoryFiles(org: string, upload: TheoryFilesUpload): Promise<DatasetInfo> {
    const form = new FormData();
    const file = (field: string, bytes: Uint8Array, filename: string) =>
      form.append(field, new Blob([bytes as Uint8Array<ArrayBuffer>]), filename);
    form.append("name", upload.name);
    if (upload.theory) file("theory", upload.theory, "theory.json");
    if (upload.meta) file("meta", upload.meta, "meta.json");
    if (upload.npz) file("npz", upload.npz, "arrays.npz");
    for (const [path, bytes] of Object.entries(upload.arrays ?? {})) file(path, bytes, `${path}.npy`);
    return this.json("POST", `/orgs/${enc(org)}/datasets/theory`, form);
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

  // Final fits (issue 16; packages/cli/src/fit.ts)
  createFit(org: string, studyId: string, body: { replicas: number; trial?: number }) {
    return this.json<FitRow>("POST", `/orgs/${enc(org)}/studies/${enc(studyId)}/fits`, body);
  }

  getFit(org: string, fitId: string) {
    return this.json<FitRow>("GET", `/orgs/${enc(org)}/fits/${enc(fitId)}`);
  }

  exportFit(org: string, fitId: string, format: "lhapdf" | "weights" | "json") {
    return this.json<Record<string, unknown>>(
      "GET",
      `/orgs/${enc(org)}/fits/${enc(fitId)}/export?format=${format}`,
    );
  }

  /** The kept replicas on the caller's feature rows: JSON (outputs, mean, sd) or { filename, csv }. */
  evaluateFit(org: string, fitId: string, body: { rows: number[][]; format: "json" | "csv" }) {
    return this.json<Record<string, unknown>>("POST", `/orgs/${enc(org)}/fits/${enc(fitId)}/evaluate`, body);
  }
}

async function* readEventStream(
  body: ReadableStream<Uint8Array>,
  idle: AbortController,
  idleMs: number,
): AsyncGenerator<HensEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  // Unref'd: a finished command exits at once even while a stream it no longer reads is open.
  let timer = setTimeout(() => idle.abort(), idleMs).unref();
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (err) {
        if (idle.signal.aborted)
          throw new HensNetworkError(`the event stream was silent for ${idleMs / 1000} s`);
        throw err;
      }
      if (chunk.done) return;
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(), idleMs).unref();
      buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n?/g, "\n");
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block
          .split("\n")
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).replace(/^ /, ""))
          .join("\n");
        if (data) yield JSON.parse(data) as HensEvent;
      }
    }
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => undefined);
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
