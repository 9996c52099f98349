import type { OrgContext } from "../../context-types";
import { STALE_MS } from "./list.handler";

/** Waiting trials listed on the Runners page; the total counts them all. */
const QUEUE_ROWS = 50;

/**
 * The organisation's waiting trials in queue order (oldest first, as the queue hands them out among
 * equal priorities), each with why it is still waiting: its study is paused, no runner is online,
 * or every slot of the live runners is busy.
 */
export async function runnerQueueHandler({ ctx, now = new Date() }: { ctx: OrgContext; now?: Date }) {
  const orgId = ctx.org.id;
  const live = { gte: new Date(now.getTime() - STALE_MS) };
  const [waiting, total, runners] = await Promise.all([
    ctx.orgDb.trial.findMany({
      where: { orgId, state: "WAITING" },
      orderBy: [{ queuedAt: "asc" }, { number: "asc" }],
      take: QUEUE_ROWS,
      select: {
        number: true,
        attempt: true,
        queuedAt: true,
        study: { select: { id: true, name: true, state: true } },
      },
    }),
    ctx.orgDb.trial.count({ where: { orgId, state: "WAITING" } }),
    ctx.db.runner.findMany({
      where: { OR: [{ orgId }, { orgId: null }], state: { not: "OFFLINE" }, heartbeatAt: live },
      select: { id: true, concurrency: true },
    }),
  ]);
  const slots = runners.reduce((n, r) => n + r.concurrency, 0);
  const busy =
    runners.length === 0
      ? 0
      : await ctx.db.trial.count({ where: { state: "RUNNING", runnerId: { in: runners.map((r) => r.id) } } });
  const free = Math.max(0, slots - busy);
  let ahead = 0;
  const items = waiting.map((t, i) => {
    let reason: string;
    if (t.study.state === "PAUSED") reason = "its study is paused";
    else if (runners.length === 0) reason = "no runner is online";
    else if (ahead >= free)
      reason = `${plural(ahead, "trial")} ahead for ${plural(free, "free slot")} (${plural(slots, "slot")} on ${plural(runners.length, "live runner")})`;
    else reason = "next for a free slot";
    if (t.study.state !== "PAUSED") ahead += 1;
    return {
      position: i + 1,
      number: t.number,
      attempt: t.attempt,
      queuedAt: t.queuedAt,
      studyId: t.study.id,
      studyName: t.study.name,
      reason: t.attempt > 1 ? `${reason} (retry, attempt ${t.attempt})` : reason,
    };
  });
  return { items, total, liveRunners: runners.length, slots, busySlots: busy };
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
