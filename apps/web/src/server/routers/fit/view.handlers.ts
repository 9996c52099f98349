import {
  type FitArtifactView,
  type FitBands,
  fitBands,
  fitDistance,
} from "@hyperensemble/platform/fit-bands";
import { TRPCError } from "@trpc/server";
import type { OrgContext } from "../../context-types";
import { fieldError } from "../field-error";

/**
 * What the fit page and the fit comparison draw (packages/platform fitBands.ts): the bands of a
 * COMPLETED fit's kept replicas, computed from its artifact here so the browser never loads every
 * replica's outputs.
 */
async function completedBands(ctx: OrgContext, fitId: string, field: string) {
  const fit = await ctx.orgDb.fit.findFirst({
    where: { id: fitId, orgId: ctx.org.id },
    select: {
      id: true,
      state: true,
      studyId: true,
      trialNumber: true,
      replicas: true,
      kept: true,
      artifact: true,
      study: { select: { name: true } },
    },
  });
  if (!fit) throw new TRPCError({ code: "NOT_FOUND", message: "fit not found" });
  if (fit.state !== "COMPLETED" || !fit.artifact)
    throw fieldError([field], `fit is ${fit.state}: bands exist once it has COMPLETED`, "CONFLICT");
  const { artifact, study, ...row } = fit;
  return { ...row, studyName: study.name, bands: fitBands(artifact as unknown as FitArtifactView) };
}

export async function fitBandsHandler({ ctx, input }: { ctx: OrgContext; input: { fitId: string } }) {
  return completedBands(ctx, input.fitId, "fitId");
}

export async function compareFitsHandler({
  ctx,
  input,
}: {
  ctx: OrgContext;
  input: { a: string; b: string };
}) {
  const a = await completedBands(ctx, input.a, "a");
  const b = await completedBands(ctx, input.b, "b");
  let distance: ReturnType<typeof fitDistance>;
  try {
    distance = fitDistance(a.bands as FitBands, b.bands as FitBands);
  } catch (err) {
    throw fieldError(["b"], (err as Error).message);
  }
  return { a, b, distance };
}
