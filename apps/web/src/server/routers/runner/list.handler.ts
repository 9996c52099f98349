import type { OrgContext } from "../../context-types";

/** A runner whose heartbeat is older than this is shown as lost, whatever its last state said. */
export const STALE_MS = 60_000;

/**
 * The runners this org's trials can use: its own and the shared pool (orgId null). Trials shown
 * are this org's only; a shared runner's other work appears only as a busy-slot count.
 */
export async function listRunnersHandler({ ctx, now = new Date() }: { ctx: OrgContext; now?: Date }) {
  const runners = await ctx.db.runner.findMany({
    where: { OR: [{ orgId: ctx.org.id }, { orgId: null }] },
    orderBy: [{ heartbeatAt: "desc" }],
    take: 200,
  });
  const ids = runners.map((r) => r.id);
  const [ours, busy] = await Promise.all([
    ctx.orgDb.trial.findMany({
      where: { orgId: ctx.org.id, state: "RUNNING", runnerId: { in: ids } },
      select: {
        number: true,
        runnerId: true,
        startedAt: true,
        study: { select: { id: true, name: true } },
      },
    }),
    ctx.db.trial.groupBy({
      by: ["runnerId"],
      where: { state: "RUNNING", runnerId: { in: ids } },
      _count: { _all: true },
    }),
  ]);
  const busyBy = new Map(busy.map((b) => [b.runnerId, b._count._all]));
  return {
    items: runners.map((r) => {
      const uptime = Math.max(1, (now.getTime() - r.startedAt.getTime()) / 1000);
      const lost = r.state !== "OFFLINE" && now.getTime() - r.heartbeatAt.getTime() > STALE_MS;
      return {
        id: r.id,
        name: r.name,
        shared: r.orgId === null,
        backend: r.backend,
        device: r.device as Record<string, unknown>,
        concurrency: r.concurrency,
        state: lost ? "LOST" : r.state,
        heartbeatAt: r.heartbeatAt,
        startedAt: r.startedAt,
        busySlots: busyBy.get(r.id) ?? 0,
        utilisation: Math.min(1, r.busySeconds / (uptime * Math.max(1, r.concurrency))),
        trials: ours
          .filter((t) => t.runnerId === r.id)
          .map((t) => ({
            number: t.number,
            studyId: t.study.id,
            studyName: t.study.name,
            startedAt: t.startedAt,
          })),
      };
    }),
  };
}
