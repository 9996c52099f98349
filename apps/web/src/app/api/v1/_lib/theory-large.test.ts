// A theory at a real size through the real REST route: an NNPDF-4.0-like theory (4,600 points in 46
// sub-datasets, a 50-row grid, 14 outputs, the FK maps as float32 in an .npz of about 13 MB, with
// statistical and correlated systematic uncertainties) sent as multipart files, as `hens dataset upload
// --npz` sends it past the JSON size (theory-cli.test.ts runs that path). The stored numbers are compared with the generated
// arrays, and the event loop's lag is measured throughout the upload: reading, inflating and checking
// the arrays, factorising the covariance and writing the JSON happen in the validation worker.
// An upload over HENS_THEORY_MAX_BYTES is refused with 413 while its body is still streaming, and the
// route is outside the proxy, which would otherwise buffer (and cut) its body.
import { AsyncLocalStorage } from "node:async_hooks";
import { DEFAULT_DATASET_LIMITS, TrialRng, writeNpz } from "@hyperensemble/engine";
import { expect, it } from "vitest";
import { seedToken } from "../../../../server/routers/test-fixtures";
import { handleRestRequest } from "./handler";
import { restTestHarness } from "./rest-harness.test-helpers";

const h = restTestHarness("theorylarge");

const SUBSETS = 46;
const PER = 100;
const G = 50;
const F = 14;
const K = 4;

function nnpdfLike() {
  const rng = new TrialRng(4600);
  const r = () => rng.uniform();
  const grid = Array.from({ length: G }, (_, g) => {
    const x = 10 ** (-5 + (4.9 * g) / (G - 1));
    return [x, Math.log(x)];
  });
  const subsets = Array.from({ length: SUBSETS }, () => {
    const fk = new Float32Array(PER * G * F);
    for (let i = 0; i < fk.length; i++) fk[i] = r() * 0.01;
    const values = Array.from({ length: PER }, () => 0.5 + r());
    const stat = values.map((v) => 0.02 * v + 0.001);
    const sys = values.map((v) => Array.from({ length: K }, () => (r() - 0.5) * 0.02 * v));
    return { fk, values, stat, sys };
  });
  return { grid, subsets };
}

it("stores an NNPDF-4.0-sized theory (.npz, float32 FK) with its exact numbers, the event loop free meanwhile", async () => {
  const { token } = await seedToken(h.tdb.db, {
    orgId: h.s.org.id,
    userId: h.s.users.MEMBER.id,
    scopes: ["datasets:write", "studies:read"],
  });
  const { grid, subsets } = nnpdfLike();
  const meta = {
    format: "theory",
    featureNames: ["x", "ln x"],
    nOutputs: F,
    subsets: subsets.map((_, i) => ({ name: `set_${i}`, normalisation: 0.01 })),
  };
  const arrays: Parameters<typeof writeNpz>[0] = { grid: { shape: [G, 2], data: grid.flat() } };
  subsets.forEach((s, i) => {
    arrays[`subsets/${i}/fk`] = { shape: [PER, G, F], data: s.fk, dtype: "<f4" };
    arrays[`subsets/${i}/values`] = { shape: [PER], data: s.values };
    arrays[`subsets/${i}/stat`] = { shape: [PER], data: s.stat };
    arrays[`subsets/${i}/sys`] = { shape: [PER, K], data: s.sys.flat() };
  });
  const npz = writeNpz(arrays, { deflate: false }); // np.savez: stored, not deflated
  expect(npz.length).toBeGreaterThan(13_000_000);
  // the form a client sends (the CLI's, past 4 MiB; a browser's), made before the clock starts: the
  // client is another process, and what is measured is the server's event loop
  const form = new FormData();
  form.append("name", "nnpdf-like");
  form.append("meta", new Blob([JSON.stringify(meta)]), "meta.json");
  form.append("npz", new Blob([npz as Uint8Array<ArrayBuffer>]), "arrays.npz");
  const request = new Response(form);
  const contentType = request.headers.get("content-type")!;
  const body = new Uint8Array(await request.arrayBuffer());

  // the event loop's lag: how late a 20 ms timer fires, at its worst, while the upload runs
  const tick = 20;
  let last = performance.now();
  let worstLag = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worstLag = Math.max(worstLag, now - last - tick);
    last = now;
  }, tick);
  const started = performance.now();
  const res = await h.fetch(`http://hens.test/api/v1/orgs/${h.s.org.slug}/datasets/theory`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": contentType },
    body,
  });
  const seconds = (performance.now() - started) / 1000;
  clearInterval(timer);
  const created = (await res.json()) as { name: string; nPoints: number };
  expect(res.status, JSON.stringify(created)).toBe(201);
  expect(created).toMatchObject({ name: "nnpdf-like", nPoints: SUBSETS * PER });
  console.log(
    `theory upload: ${body.length} bytes (.npz ${npz.length}) in ${seconds.toFixed(1)} s, worst event-loop lag ${worstLag.toFixed(0)} ms`,
  );
  // Generous for a loaded 2-core machine. Measured worst lags: 181 ms alone at load 6.6; 750 ms alone
  // at load 14–16 (an idle timer there: 190 ms); 900 ms beside six other test files at load 9. On
  // this thread instead, the worker's steps would hold the loop for seconds at such loads (writing
  // the JSON alone took 2 s in the worker at load 16), and the JSON as one query parameter 8–17 s.
  expect(worstLag).toBeLessThan(1500);

  const row = await h.tdb.db.dataset.findFirstOrThrow({
    where: { orgId: h.s.org.id, name: "nnpdf-like" },
    select: { kind: true, nPoints: true, summary: true, data: true },
  });
  expect(row.kind).toBe("theory");
  expect(row.nPoints).toBe(SUBSETS * PER);
  expect(row.summary).toMatchObject({ nOutputs: F, uncertainty: "stat+sys", theory: { gridPoints: G } });
  const stored = row.data as {
    grid: number[][];
    subsets: { name: string; fk: number[][]; values: number[]; stat: number[]; sys: number[][] }[];
  };
  expect(stored.grid).toEqual(grid);
  expect(stored.subsets.map((s) => s.name)).toEqual(subsets.map((_, i) => `set_${i}`));
  // every FK row has G·F entries; spot checks against the generated float32 values, exactly
  const spot = new TrialRng(7);
  const r = () => spot.uniform();
  for (let n = 0; n < 500; n++) {
    const i = Math.floor(r() * SUBSETS);
    const p = Math.floor(r() * PER);
    const j = Math.floor(r() * G * F);
    expect(stored.subsets[i]!.fk[p]!.length).toBe(G * F);
    expect(stored.subsets[i]!.fk[p]![j]).toBe(subsets[i]!.fk[p * G * F + j]);
  }
  // and one whole row, the last sub-dataset's last, with its data and uncertainties
  const final = subsets[SUBSETS - 1]!;
  expect(stored.subsets[SUBSETS - 1]!.fk[PER - 1]).toEqual(Array.from(final.fk.subarray((PER - 1) * G * F)));
  expect(stored.subsets[SUBSETS - 1]!.values).toEqual(final.values);
  expect(stored.subsets[SUBSETS - 1]!.stat).toEqual(final.stat);
  expect(stored.subsets[SUBSETS - 1]!.sys).toEqual(final.sys);
}, 180_000);

it("refuses an upload over HENS_THEORY_MAX_BYTES with 413 before reading it whole", async () => {
  const { token } = await seedToken(h.tdb.db, {
    orgId: h.s.org.id,
    userId: h.s.users.MEMBER.id,
    scopes: ["datasets:write"],
  });
  const cap = DEFAULT_DATASET_LIMITS.maxTheoryBytes;
  expect(cap).toBe(256 * 1024 * 1024);
  const chunk = new Uint8Array(1024 * 1024);
  /** A body of `total` bytes made as it is read, counting what was read. */
  const body = (total: number) => {
    const counter = { pulled: 0 };
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (counter.pulled >= total) return controller.close();
        counter.pulled += chunk.length;
        controller.enqueue(chunk);
      },
    });
    return { counter, stream };
  };
  const url = `http://hens.test/api/v1/orgs/${h.s.org.slug}/datasets/theory`;
  const send = (stream: ReadableStream<Uint8Array>, headers: Record<string, string> = {}) =>
    handleRestRequest(
      new Request(url, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "multipart/form-data; boundary=x",
          ...headers,
        },
        body: stream,
        duplex: "half",
      } as RequestInit),
      { createContext: (req) => h.createContext(req) },
    );
  const refused = async (res: Response) => {
    expect(res.status).toBe(413);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(error.message).toBe(`request body is larger than ${cap} bytes (HENS_THEORY_MAX_BYTES)`);
  };
  // a declared length over the cap: not one byte is read
  const declared = body(cap + chunk.length);
  await refused(await send(declared.stream, { "content-length": String(cap + chunk.length) }));
  expect(declared.counter.pulled).toBeLessThanOrEqual(chunk.length);
  // no length (chunked): read until it passes the cap, then refused, the rest never read
  const chunked = body(cap + 64 * chunk.length);
  await refused(await send(chunked.stream));
  expect(chunked.counter.pulled).toBeGreaterThan(cap);
  expect(chunked.counter.pulled).toBeLessThanOrEqual(cap + 2 * chunk.length);
  expect(await h.tdb.db.dataset.count({ where: { orgId: h.s.org.id, name: { not: "nnpdf-like" } } })).toBe(0);
}, 60_000);

it("a caller who may not upload there is answered 404/403 before a byte of the body is read", async () => {
  const seed = (userId: string, scopes: ("datasets:write" | "studies:read")[]) =>
    seedToken(h.tdb.db, { orgId: h.s.org.id, userId, scopes }).then((t) => t.token);
  const viewer = await seed(h.s.users.VIEWER.id, ["datasets:write"]);
  const readOnly = await seed(h.s.users.MEMBER.id, ["studies:read"]);
  const member = await seed(h.s.users.MEMBER.id, ["datasets:write"]);
  const attempt = async (token: string, org: string) => {
    const counter = { pulled: 0 };
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        counter.pulled += 1;
        controller.enqueue(new Uint8Array(1024 * 1024));
      },
    });
    const res = await handleRestRequest(
      new Request(`http://hens.test/api/v1/orgs/${org}/datasets/theory`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "multipart/form-data; boundary=x" },
        body: stream,
        duplex: "half",
      } as RequestInit),
      { createContext: (req) => h.createContext(req) },
    );
    return { status: res.status, pulled: counter.pulled };
  };
  // A VIEWER may not write datasets; a token without datasets:write neither; another org is not found.
  // "Read" is at most the one chunk a stream queues when it is made (nothing consumed it).
  for (const [token, org, status] of [
    [viewer, h.s.org.slug, 403],
    [readOnly, h.s.org.slug, 403],
    [member, "no-such-org", 404],
  ] as const) {
    const got = await attempt(token, org);
    expect(got.status, `${org}`).toBe(status);
    expect(got.pulled).toBeLessThanOrEqual(1);
  }
});

it("the theory route is outside the proxy's matcher, so Next does not buffer its body; every other path is inside", async () => {
  // Next's matcher test helper reads this global, which only Next's own server defines
  (globalThis as { AsyncLocalStorage?: unknown }).AsyncLocalStorage ??= AsyncLocalStorage;
  const { unstable_doesMiddlewareMatch: matches } = await import("next/experimental/testing/server.js");
  const { config } = await import("../../../../proxy");
  const at = (url: string) => matches({ config, url });
  expect(at("/api/v1/orgs/acme/datasets/theory")).toBe(false);
  for (const url of [
    "/",
    "/o/acme/datasets",
    "/api/trpc/dataset.upload",
    "/api/v1/orgs/acme/datasets",
    "/api/v1/orgs/acme/datasets/theoryx",
    "/api/v1/orgs/acme/datasets/c123/delete",
  ])
    expect(at(url), url).toBe(true);
});
