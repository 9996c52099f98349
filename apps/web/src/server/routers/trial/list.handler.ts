import { TRPCError } from "@trpc/server";
import type { OrgContext } from "../../context-types";
import type { ListTrialsInput } from "./list.schema";

export async function assertStudyInOrg(ctx: OrgContext, studyId: string) {
  const study = await ctx.orgDb.study.findFirst({ where: { id: studyId, orgId: ctx.org.id } });
  if (!study) throw new TRPCError({ code: "NOT_FOUND", message: "study not found" });
  return study;
}

export async function listTrialsHandler({ ctx, input }: { ctx: OrgContext; input: ListTrialsInput }) {
  const study = await assertStudyInOrg(ctx, input.studyId);
  const trials = await ctx.orgDb.trial.findMany({
    where: {
      orgId: ctx.org.id,
      studyId: study.id,
      number: { gt: input.after },
      ...(input.state ? { state: input.state } : {}),
    },
    orderBy: { number: "asc" },
    take: input.take + 1,
    include: {
      result: {
        select: { value: true, L1: true, L2: true, L3: true, phi2: true, epochs: true, backend: true },
      },
    },
  });
  const page = trials.slice(0, input.take);
  return {
    study: { id: study.id, name: study.name, state: study.state, maxTrials: study.maxTrials },
    items: page.map(trialItem),
    nextAfter: trials.length > input.take ? (page.at(-1)?.number ?? null) : null,
  };
}

/** A trial as the API lists it (GET …/trials; also what an external tell answers). */
export function trialItem(t: {
  id: string;
  number: number;
  state: string;
  params: unknown;
  attempt: number;
  values?: number[];
  result: { value: number } | null;
  error: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}) {
  return {
    id: t.id,
    number: t.number,
    state: t.state,
    params: t.params,
    attempt: t.attempt,
    // A trial told with scalar values (external, Optuna's tell) has no ensemble result.
    value: t.result?.value ?? (t.values?.length === 1 ? t.values[0]! : null),
    result: t.result,
    error: t.error,
    startedAt: t.startedAt,
    finishedAt: t.finishedAt,
  };
}
