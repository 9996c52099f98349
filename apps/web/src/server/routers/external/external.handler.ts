import {
  askTrial,
  ExternalInputError,
  ExternalTrialError,
  heartbeatLease,
  parseStudyRow,
  reportExternal,
  studyPoints,
  tellTrial,
} from "@hyperensemble/platform";
import { TRPCError } from "@trpc/server";
import type { z } from "zod";
import type { OrgContext } from "../../context-types";
import { trialItem } from "../trial/list.handler";
import type { ZAsk, ZHeartbeat, ZPoints, ZReport, ZTell } from "./external.schema";

/** Platform errors as API errors: another org's or a missing trial is NOT_FOUND, a stale lease 409. */
async function mapped<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ExternalTrialError)
      throw new TRPCError({
        code: error.reason === "not-found" ? "NOT_FOUND" : "CONFLICT",
        message: error.message,
      });
    if (error instanceof ExternalInputError)
      throw new TRPCError({ code: "BAD_REQUEST", message: error.message });
    if (error instanceof Error && error.name === "NonFiniteResultError")
      throw new TRPCError({ code: "BAD_REQUEST", message: error.message });
    throw error;
  }
}

export function askHandler({ ctx, input }: { ctx: OrgContext; input: z.output<typeof ZAsk> }) {
  return mapped(() =>
    askTrial(
      ctx.db,
      { orgId: ctx.org.id, studyId: input.studyId },
      {
        ...(input.leaseSeconds !== undefined ? { leaseSeconds: input.leaseSeconds } : {}),
        ...(input.worker !== undefined ? { worker: input.worker } : {}),
      },
    ),
  );
}

export function heartbeatHandler({ ctx, input }: { ctx: OrgContext; input: z.output<typeof ZHeartbeat> }) {
  return mapped(() => heartbeatLease(ctx.db, { orgId: ctx.org.id, trialId: input.trialId }, input.leaseId));
}

export function reportHandler({ ctx, input }: { ctx: OrgContext; input: z.output<typeof ZReport> }) {
  const { trialId, ...report } = input;
  return mapped(() => reportExternal(ctx.db, { orgId: ctx.org.id, trialId }, report));
}

/** Tells the result, then answers with the trial as GET …/trials lists it (the same for a repeat). */
export async function tellHandler({ ctx, input }: { ctx: OrgContext; input: z.output<typeof ZTell> }) {
  const { trialId, ...tell } = input;
  await mapped(() => tellTrial(ctx.db, { orgId: ctx.org.id, trialId }, tell));
  const trial = await ctx.orgDb.trial.findFirstOrThrow({
    where: { id: trialId, orgId: ctx.org.id },
    include: { result: { select: TRIAL_RESULT_SELECT } },
  });
  return trialItem(trial);
}

const TRIAL_RESULT_SELECT = {
  value: true,
  L1: true,
  L2: true,
  L3: true,
  phi2: true,
  epochs: true,
  backend: true,
} as const;

export async function pointsHandler({ ctx, input }: { ctx: OrgContext; input: z.output<typeof ZPoints> }) {
  const found = await ctx.orgDb.study.findFirst({ where: { id: input.studyId, orgId: ctx.org.id } });
  if (!found) throw new TRPCError({ code: "NOT_FOUND", message: "study not found" });
  const study = parseStudyRow(found);
  let trial: { number: number; params: unknown } | undefined;
  if (input.trialId) {
    const row = await ctx.orgDb.trial.findFirst({
      where: { id: input.trialId, orgId: ctx.org.id, studyId: study.id },
      select: { number: true, params: true },
    });
    if (!row) throw new TRPCError({ code: "NOT_FOUND", message: "trial not found" });
    trial = row;
  }
  return mapped(() => studyPoints(ctx.db, study, trial));
}
