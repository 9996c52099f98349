import { selectConfiguration } from "@hyperensemble/engine";
import { TRPCError } from "@trpc/server";
import type { OrgContext } from "../../context-types";

export async function listStudiesHandler({
  ctx,
  input,
}: {
  ctx: OrgContext;
  input: { state?: string | undefined; take: number; cursor?: string | undefined };
}) {
  const studies = await ctx.orgDb.study.findMany({
    where: { orgId: ctx.org.id, ...(input.state ? { state: input.state as never } : {}) },
    orderBy: { createdAt: "desc" },
    take: input.take + 1,
    ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
    include: { owner: { select: { name: true, email: true } } },
  });
  const page = studies.slice(0, input.take);
  const ids = page.map((s) => s.id);
  const counts = await ctx.orgDb.trial.groupBy({
    by: ["studyId", "state"],
    where: { orgId: ctx.org.id, studyId: { in: ids } },
    _count: { _all: true },
  });
  const best = await ctx.orgDb.trialResult.findMany({
    where: { orgId: ctx.org.id, trial: { studyId: { in: ids } } },
    select: { value: true, trial: { select: { studyId: true } } },
  });
  return {
    items: page.map((s) => {
      const done = counts
        .filter((c) => c.studyId === s.id && ["COMPLETE", "PRUNED", "FAIL"].includes(c.state))
        .reduce((a, c) => a + c._count._all, 0);
      const values = best.filter((b) => b.trial.studyId === s.id).map((b) => b.value);
      return {
        id: s.id,
        name: s.name,
        state: s.state,
        sampler: s.sampler,
        maxTrials: s.maxTrials,
        trialsDone: done,
        bestValue: values.length ? Math.min(...values) : null,
        gpuSeconds: s.gpuSeconds,
        owner: s.owner.name ?? s.owner.email,
        createdAt: s.createdAt,
      };
    }),
    nextCursor: studies.length > input.take ? (page.at(-1)?.id ?? null) : null,
  };
}

export async function getStudyHandler({ ctx, input }: { ctx: OrgContext; input: { studyId: string } }) {
  const study = await ctx.orgDb.study.findFirst({
    where: { id: input.studyId, orgId: ctx.org.id },
    include: {
      trials: {
        orderBy: { number: "asc" },
        include: { result: { omit: { predictions: true } }, runner: { select: { name: true } } },
      },
    },
  });
  if (!study) throw new TRPCError({ code: "NOT_FOUND", message: "study not found" });
  const intermediate = await ctx.orgDb.intermediateValue.findMany({
    where: { orgId: ctx.org.id, trial: { studyId: study.id } },
    orderBy: { step: "asc" },
    select: { trialId: true, step: true, value: true },
  });
  const completed = study.trials.flatMap((t) =>
    t.state === "COMPLETE" && t.result ? [{ id: t.id, L1: t.result.L1, phi2: t.result.phi2 }] : [],
  );
  const selection = completed.length > 0 ? selectConfiguration(completed) : null;
  return { study, intermediate, selection };
}
