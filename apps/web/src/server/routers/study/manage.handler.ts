import {
  deleteStudy,
  enqueueConfigurations,
  StudyInputError,
  StudyLimitError,
  StudyStateError,
} from "@hyperensemble/platform";
import { TRPCError } from "@trpc/server";
import type { OrgContext } from "../../context-types";
import { fieldError } from "../field-error";

function mapStudyErrors(err: unknown): never {
  if (err instanceof StudyStateError) throw new TRPCError({ code: "CONFLICT", message: err.message });
  if (err instanceof StudyInputError || err instanceof StudyLimitError)
    throw fieldError(err.field.split("."), err.message.slice(err.field.length + 2));
  throw err;
}

/** Delete a study with its trials; a 409 naming why while runners hold one of its trials. */
export async function deleteStudyHandler({ ctx, input }: { ctx: OrgContext; input: { studyId: string } }) {
  const deleted = await deleteStudy(ctx.db, { orgId: ctx.org.id, studyId: input.studyId }).catch(
    mapStudyErrors,
  );
  if (!deleted) throw new TRPCError({ code: "NOT_FOUND", message: "study not found" });
  await ctx.orgDb.auditEvent.create({
    data: {
      orgId: ctx.org.id,
      actorId: ctx.user.id,
      action: "study.delete",
      target: deleted.id,
      data: { name: deleted.name, state: deleted.state, trials: deleted.trials },
    },
  });
  return { id: deleted.id, deleted: true, trials: deleted.trials };
}

/** Known configurations run first; one the study already has is skipped (and counted). */
export async function enqueueConfigurationsHandler({
  ctx,
  input,
}: {
  ctx: OrgContext;
  input: { studyId: string; configurations: Record<string, string | number | boolean>[] };
}) {
  const exists = await ctx.orgDb.study.findFirst({
    where: { id: input.studyId, orgId: ctx.org.id },
    select: { id: true },
  });
  if (!exists) throw new TRPCError({ code: "NOT_FOUND", message: "study not found" });
  const ids = await enqueueConfigurations(
    ctx.db,
    ctx.enqueuer,
    { orgId: ctx.org.id, studyId: input.studyId },
    input.configurations,
  ).catch(mapStudyErrors);
  await ctx.orgDb.auditEvent.create({
    data: {
      orgId: ctx.org.id,
      actorId: ctx.user.id,
      action: "study.enqueue",
      target: input.studyId,
      data: { given: input.configurations.length, created: ids.length },
    },
  });
  return { trialIds: ids, created: ids.length, duplicates: input.configurations.length - ids.length };
}
