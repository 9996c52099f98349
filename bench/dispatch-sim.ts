/**
 * Discrete-event simulation of the runner fleet, fed with per-trial overheads measured by
 * bench/dispatch.ts. Model (one study, parallelism = workers, as in the measured run):
 *
 *   worker: train (trialMs) → completion writes (parallel, sampled) → its follow-up fill joins the
 *   study's serialised section (one FIFO server: the per-study advisory lock, service serialMs) →
 *   the fill enqueues one job → an idle worker picks it up and claims it (parallel, sampled) → train.
 *
 * Not modelled: Postgres and Redis running out of capacity (every worker's writes go to one
 * database), network latency between machines, trial-length variance.
 */

export interface SimInput {
  workers: number;
  trialMs: number;
  /** Samples of the parallel overhead after training (result writes, notify) in ms. */
  completionMs: number[];
  /** Samples of enqueue → training start (BullMQ pick-up, claim) in ms. */
  pickupMs: number[];
  /** Service time of the per-study serialised fill (lock held) in ms. */
  serialMs: number;
  /** Simulated wall time; utilisation is measured after a warm-up of one trial length. */
  horizonMs?: number;
  seed?: number;
}

export interface SimResult {
  utilisation: number;
  p50Ms: number;
  p99Ms: number;
  trials: number;
}

class Heap<T> {
  private items: { at: number; seq: number; value: T }[] = [];
  private seq = 0;
  get size() {
    return this.items.length;
  }
  push(at: number, value: T) {
    const a = this.items;
    a.push({ at, seq: this.seq++, value });
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.less(a[p]!, a[i]!)) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }
  pop(): { at: number; value: T } | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }
  private less(x: { at: number; seq: number }, y: { at: number; seq: number }) {
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  }
}

function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function percentile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx]!;
}

type Event =
  | { kind: "trained"; worker: number }
  | { kind: "fill-request" }
  | { kind: "fill-done" }
  | { kind: "start"; worker: number; enqueuedAt: number };

export function simulateFleet(input: SimInput): SimResult {
  const rand = mulberry32(input.seed ?? 1);
  const pick = (samples: number[]) => samples[Math.floor(rand() * samples.length)] ?? 0;
  const horizon = input.horizonMs ?? Math.max(60_000, input.trialMs * 40);
  const warmup = input.trialMs;
  const events = new Heap<Event>();
  const idle: number[] = [];
  const jobs: number[] = []; // enqueue times of queued jobs
  let serverFreeAt = 0;
  let busy = 0;
  let trials = 0;
  const latencies: number[] = [];
  const account = (from: number, to: number) => {
    const a = Math.max(from, warmup);
    const b = Math.min(to, horizon);
    if (b > a) busy += b - a;
  };
  const starts = new Map<number, number>();
  // Staggered start, as a fleet in steady state: worker i is somewhere in its first trial.
  for (let w = 0; w < input.workers; w++) {
    const t0 = -rand() * input.trialMs;
    starts.set(w, t0);
    events.push(t0 + input.trialMs, { kind: "trained", worker: w });
  }
  let ev = events.pop();
  while (ev && ev.at <= horizon) {
    const { at, value } = ev;
    switch (value.kind) {
      case "trained": {
        account(starts.get(value.worker) ?? at - input.trialMs, at);
        trials++;
        // Completion writes (parallel), then the follow-up fill queues for the study's lock. The
        // worker is free for its next job as soon as it returned (the fill runs in the background).
        const done = at + pick(input.completionMs);
        events.push(done, { kind: "fill-request" });
        idle.push(value.worker);
        // Workers freed here only get work when a job exists.
        break;
      }
      case "fill-request": {
        const startService = Math.max(at, serverFreeAt);
        serverFreeAt = startService + input.serialMs;
        events.push(serverFreeAt, { kind: "fill-done" });
        break;
      }
      case "fill-done":
        jobs.push(at);
        break;
      case "start": {
        starts.set(value.worker, at);
        if (at >= warmup) latencies.push(at - value.enqueuedAt);
        events.push(at + input.trialMs, { kind: "trained", worker: value.worker });
        break;
      }
    }
    // Hand queued jobs to idle workers: each pick-up takes a sampled enqueue→start time.
    while (jobs.length > 0 && idle.length > 0) {
      const enqueuedAt = jobs.shift()!;
      const worker = idle.shift()!;
      const startAt = Math.max(at, enqueuedAt + pick(input.pickupMs));
      events.push(startAt, { kind: "start", worker, enqueuedAt });
    }
    ev = events.pop();
  }
  // Trials still running at the horizon count up to it.
  for (const [, s] of starts) if (s < horizon && s + input.trialMs > horizon) account(s, horizon);
  const window = horizon - warmup;
  return {
    utilisation: busy / (input.workers * window),
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    trials,
  };
}
