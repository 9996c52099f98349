import {
  addTrials,
  cancelStudy,
  createStudy,
  createStudyInputSchema,
  parseStudyRow,
  pauseStudy,
  rerunFailedTrials,
  resumeStudy,
  StudyLimitError,
  StudyStateError,
} from "@hyperensemble/platform";
import { TRPCError } from "@trpc/server";
import type { OrgContext } from "../../context-types";
import { fieldError } from "../field-error";

type Action = "pause" | "resume" | "cancel" | "addTrials" | "rerunFailed";

async function audit(ctx: OrgContext, action: string, target: string, data?: object) {
  await ctx.orgDb.auditEvent.create({
    data: { orgId: ctx.org.id, actorId: ctx.user.id, action, target, ...(data ? { data } : {}) },
  });
}

async function ensureStudy(ctx: OrgContext, studyId: string) {
  const study = await ctx.orgDb.study.findFirst({ where: { id: studyId, orgId: ctx.org.id } });
  if (!study) throw new TRPCError({ code: "NOT_FOUND", message: "study not found" });
  return study;
}

/** Lifecycle actions; an action the study's state does not allow is a CONFLICT naming the state. */
export async function controlStudyHandler({
  ctx,
  input,
  action,
}: {
  ctx: OrgContext;
  input: { studyId: string; count?: number };
  action: Action;
}) {
  await ensureStudy(ctx, input.studyId);
  const ref = { orgId: ctx.org.id, studyId: input.studyId };
  try {
    let affected: number | undefined;
    switch (action) {
      case "pause":
        await pauseStudy(ctx.db, ref);
        break;
      case "resume":
        await resumeStudy(ctx.db, ctx.enqueuer, ctx.requeuer, ref);
        break;
      case "cancel":
        await cancelStudy(ctx.db, ref);
        break;
      case "addTrials":
        await addTrials(ctx.db, ctx.enqueuer, ref, input.count ?? 1);
        break;
      case "rerunFailed":
        affected = await rerunFailedTrials(ctx.db, ctx.requeuer, ref);
        break;
    }
    await audit(ctx, `study.${action}`, input.studyId, input.count ? { count: input.count } : undefined);
    const study = await ensureStudy(ctx, input.studyId);
    return { state: study.state, maxTrials: study.maxTrials, affected: affected ?? null };
  } catch (err) {
    if (err instanceof StudyStateError) throw new TRPCError({ code: "CONFLICT", message: err.message });
    if (err instanceof StudyLimitError)
      throw fieldError([err.field], err.message.slice(err.field.length + 2));
    throw err;
  }
}

/** A new study with the same task, ensemble, training, space, sampler and budget. */
export async function cloneStudyHandler({
  ctx,
  input,
}: {
  ctx: OrgContext;
  input: { studyId: string; name?: string | undefined };
}) {
  const s = parseStudyRow(await ensureStudy(ctx, input.studyId));
  const spec = createStudyInputSchema.parse({
    name: input.name ?? `${s.name} (copy)`.slice(0, 120),
    task: s.task,
    replicas: s.ensemble.replicas,
    folds: s.ensemble.folds,
    maxEpochs: s.training.maxEpochs,
    trials: s.maxTrials,
    parallelism: s.parallelism,
    // With their options: a clone searches the same way.
    sampler: { name: s.sampler, options: s.samplerOptions },
    scheduler: { name: s.scheduler, options: s.schedulerOptions },
    mode: s.mode,
    objective: s.objective,
    searchSpace: s.searchSpace,
    fixed: s.fixed,
    ...(s.maxWallSeconds != null ? { maxWallSeconds: s.maxWallSeconds } : {}),
    ...(s.maxGpuSeconds != null ? { maxGpuSeconds: s.maxGpuSeconds } : {}),
    ...(s.maxTrialSeconds != null ? { maxTrialSeconds: s.maxTrialSeconds } : {}),
  });
  // The copy is checked against today's limits, like any new study.
  const study = await createStudy(ctx.db, ctx.enqueuer, {
    orgId: ctx.org.id,
    ownerId: ctx.user.id,
    spec,
  }).catch((err: unknown) => {
    if (err instanceof StudyLimitError)
      throw fieldError([err.field], err.message.slice(err.field.length + 2));
    throw err;
  });
  await audit(ctx, "study.clone", study.id, { from: s.id });
  return { id: study.id };
}
