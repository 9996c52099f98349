/**
 * The per-runner trial timeline (Ray's and optuna-dashboard's): one lane per runner, each trial a bar
 * from its start to its finish (a running trial to `now`), in seconds since the first start.
 */
export interface TimelineTrial {
  number: number;
  state: string;
  runner: string | null;
  startedAt: string | Date | null;
  finishedAt: string | Date | null;
}

export interface TimelineBar {
  number: number;
  state: string;
  start: number;
  end: number;
  /** Still running: the bar ends at now and is drawn open. */
  open: boolean;
}

/** The lane of a trial no runner claimed (seeded, external, or a runner since deleted). */
export const NO_RUNNER = "(no runner)";

export function timelineLanes(
  trials: readonly TimelineTrial[],
  now: number,
): { lanes: { runner: string; bars: TimelineBar[] }[]; span: number } {
  const started = trials.filter((t) => t.startedAt !== null);
  if (started.length === 0) return { lanes: [], span: 0 };
  const ms = (d: string | Date) => new Date(d).getTime();
  const t0 = Math.min(...started.map((t) => ms(t.startedAt!)));
  const byRunner = new Map<string, TimelineBar[]>();
  let span = 0;
  for (const t of started) {
    const start = (ms(t.startedAt!) - t0) / 1000;
    const open = t.finishedAt === null;
    const end = Math.max(start, ((open ? now : ms(t.finishedAt!)) - t0) / 1000);
    span = Math.max(span, end);
    const lane = t.runner ?? NO_RUNNER;
    if (!byRunner.has(lane)) byRunner.set(lane, []);
    byRunner.get(lane)!.push({ number: t.number, state: t.state, start, end, open });
  }
  const lanes = [...byRunner.entries()]
    .sort(([a], [b]) => (a === NO_RUNNER ? 1 : b === NO_RUNNER ? -1 : a.localeCompare(b)))
    .map(([runner, bars]) => ({
      runner,
      bars: bars.sort((a, b) => a.start - b.start || a.number - b.number),
    }));
  return { lanes, span };
}
