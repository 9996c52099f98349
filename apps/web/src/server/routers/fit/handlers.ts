import {
  createFit,
  type FitEvaluateBody,
  type FitExportFormat,
  fitEvaluate,
  fitExport,
  StorageQuotaError,
  StudyInputError,
} from "@hyperensemble/platform";
import { TRPCError } from "@trpc/server";
import type { OrgContext } from "../../context-types";
import { csvCell } from "../export/study.handler";
import { fieldError } from "../field-error";

/** A fit's row as served: everything but the artifact (every replica's outputs and weights: the exports). */
const FIT_FIELDS = { artifact: true } as const;

function mapFitErrors(err: unknown): never {
  if (err instanceof StorageQuotaError) throw new TRPCError({ code: "BAD_REQUEST", message: err.message });
  if (err instanceof StudyInputError) {
    // another org's study (or none) reads exactly like a missing one
    if (err.field === "studyId" && err.message.includes("not found"))
      throw new TRPCError({ code: "NOT_FOUND", message: "study not found" });
    throw fieldError(err.field.split("."), err.message.slice(err.field.length + 2));
  }
  throw err;
}

export async function createFitHandler({
  ctx,
  input,
}: {
  ctx: OrgContext;
  input: { studyId: string; trial?: number; replicas: number; rule?: unknown };
}) {
  const { org: _org, ...spec } = input as typeof input & { org?: string };
  const fit = await createFit(ctx.db, { orgId: ctx.org.id, ownerId: ctx.user.id, input: spec }).catch(
    mapFitErrors,
  );
  await ctx.orgDb.auditEvent.create({
    data: {
      orgId: ctx.org.id,
      actorId: ctx.user.id,
      action: "fit.create",
      target: fit.id,
      data: { studyId: fit.studyId, trial: fit.trialNumber, replicas: fit.replicas },
    },
  });
  const { artifact: _a, ...row } = fit;
  return row;
}

export async function getFitHandler({ ctx, input }: { ctx: OrgContext; input: { fitId: string } }) {
  const fit = await ctx.orgDb.fit.findFirst({
    where: { id: input.fitId, orgId: ctx.org.id },
    omit: FIT_FIELDS,
  });
  if (!fit) throw new TRPCError({ code: "NOT_FOUND", message: "fit not found" });
  return fit;
}

export async function listFitsHandler({ ctx, input }: { ctx: OrgContext; input: { studyId: string } }) {
  const study = await ctx.orgDb.study.findFirst({
    where: { id: input.studyId, orgId: ctx.org.id },
    select: { id: true },
  });
  if (!study) throw new TRPCError({ code: "NOT_FOUND", message: "study not found" });
  return ctx.orgDb.fit.findMany({
    where: { orgId: ctx.org.id, studyId: study.id },
    omit: { ...FIT_FIELDS, outcome: true },
    orderBy: { createdAt: "desc" },
    take: 100,
  });
}

export async function exportFitHandler({
  ctx,
  input,
}: {
  ctx: OrgContext;
  input: { fitId: string; format: FitExportFormat };
}) {
  const fit = await ctx.orgDb.fit.findFirst({ where: { id: input.fitId, orgId: ctx.org.id } });
  if (!fit) throw new TRPCError({ code: "NOT_FOUND", message: "fit not found" });
  if (fit.state !== "COMPLETED")
    throw new TRPCError({
      code: "CONFLICT",
      message: `fit is ${fit.state}: only a COMPLETED fit can be exported`,
    });
  try {
    return fitExport(fit, input.format);
  } catch (err) {
    // every replica discarded by the post-fit rule: nothing to export, said as a conflict
    if (err instanceof StudyInputError) throw new TRPCError({ code: "CONFLICT", message: err.message });
    throw err;
  }
}

/**
 * The kept replicas on feature rows the caller gives (fit.evaluate): JSON (every replica, mean and
 * sd per row) or CSV (one line per replica and row). Bounded by MAX_EVALUATE_ROWS and
 * MAX_EVALUATE_CELLS before any evaluation.
 */
export async function evaluateFitHandler({
  ctx,
  input,
}: {
  ctx: OrgContext;
  input: { fitId: string } & FitEvaluateBody;
}) {
  const fit = await ctx.orgDb.fit.findFirst({ where: { id: input.fitId, orgId: ctx.org.id } });
  if (!fit) throw new TRPCError({ code: "NOT_FOUND", message: "fit not found" });
  if (fit.state !== "COMPLETED")
    throw new TRPCError({
      code: "CONFLICT",
      message: `fit is ${fit.state}: only a COMPLETED fit can be evaluated`,
    });
  let out: ReturnType<typeof fitEvaluate>;
  try {
    out = fitEvaluate(fit, input);
  } catch (err) {
    if (err instanceof StudyInputError && err.field === "fitId")
      throw new TRPCError({ code: "CONFLICT", message: err.message });
    mapFitErrors(err);
  }
  if (input.format === "json") return out;
  const D = out.rows[0]!.length;
  const lines = [
    ["replica", "row", ...Array.from({ length: D }, (_, j) => `feature_${j}`), ...out.outputNames]
      .map(csvCell)
      .join(","),
  ];
  out.outputs.forEach((o, k) => {
    out.rows.forEach((row, i) => {
      lines.push([out.replicas[k], i, ...row, ...o[i]!].map(csvCell).join(","));
    });
  });
  return { filename: `hens_${fit.id}_evaluated.csv`, csv: `${lines.join("\n")}\n` };
}
