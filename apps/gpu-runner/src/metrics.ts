// Prometheus text exposition for one runner: no client library, a handful of series.
export class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: number[],
  ) {
    this.counts = buckets.map(() => 0);
  }
  observe(value: number) {
    this.sum += value;
    this.count += 1;
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) this.counts[i]! += 1;
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    this.buckets.forEach((b, i) => {
      lines.push(`${this.name}_bucket{le="${b}"} ${this.counts[i]}`);
    });
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.count}`);
    lines.push(`${this.name}_sum ${this.sum}`, `${this.name}_count ${this.count}`);
    return lines;
  }
}

export interface RunnerStats {
  concurrency: number;
  busy: number;
  /** Seconds spent running trials, summed over slots (finished trials plus running ones so far). */
  busySeconds: number;
  uptimeSeconds: number;
  outcomes: Record<string, number>;
  failures: number;
  queue?: { pending: number; active: number; delayed: number; failed: number } | undefined;
}

const line = (name: string, type: "gauge" | "counter", help: string, value: number | string) => [
  `# HELP ${name} ${help}`,
  `# TYPE ${name} ${type}`,
  `${name} ${value}`,
];

export function renderMetrics(stats: RunnerStats, histograms: Histogram[]): string {
  const utilisation =
    stats.uptimeSeconds > 0 ? stats.busySeconds / (stats.uptimeSeconds * stats.concurrency) : 0;
  const lines = [
    ...line("hens_runner_busy_trials", "gauge", "Trials running on this runner.", stats.busy),
    ...line("hens_runner_concurrency", "gauge", "Trial slots on this runner.", stats.concurrency),
    ...line(
      "hens_runner_busy_seconds_total",
      "counter",
      "Slot-seconds spent running trials; rate() over it / concurrency is utilisation.",
      stats.busySeconds.toFixed(3),
    ),
    ...line(
      "hens_runner_utilisation",
      "gauge",
      "Busy slot-seconds / (uptime x concurrency) since start.",
      utilisation.toFixed(4),
    ),
    "# HELP hens_runner_trials_total Trials this runner finished, by outcome; rate() is trials/s.",
    "# TYPE hens_runner_trials_total counter",
    ...Object.entries(stats.outcomes).map(([k, v]) => `hens_runner_trials_total{outcome="${k}"} ${v}`),
    ...line(
      "hens_runner_trial_failures_total",
      "counter",
      "Trials that failed on this runner (errors, not prunes or hand-backs).",
      stats.failures,
    ),
  ];
  if (stats.queue) {
    lines.push(
      "# HELP hens_queue_jobs Trial jobs in the queue by state (pending = waiting + delayed + prioritized).",
      "# TYPE hens_queue_jobs gauge",
      ...Object.entries(stats.queue).map(([k, v]) => `hens_queue_jobs{state="${k}"} ${v}`),
    );
  }
  for (const h of histograms) lines.push(...h.render());
  return `${lines.join("\n")}\n`;
}
