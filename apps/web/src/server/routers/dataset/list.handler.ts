import { TRPCError } from "@trpc/server";
import type { OrgContext } from "../../context-types";
import { recordAudit } from "../audit/record";
import type { DatasetRefInput } from "./upload.schema";

/** The built-in proton-structure closure task: available to every org, stored nowhere. */
export const BUILTIN_DATASETS = [
  {
    id: "builtin:closure",
    name: "Proton-structure closure test (built-in)",
    kind: "closure",
    nPoints: null,
    summary: { levels: [0, 1, 2], task: { kind: "closure" } },
    createdAt: null,
    builtin: true,
  },
] as const;

export async function listDatasetsHandler({ ctx }: { ctx: OrgContext }) {
  const rows = await ctx.orgDb.dataset.findMany({
    where: { orgId: ctx.org.id },
    orderBy: { createdAt: "desc" },
    select: { id: true, name: true, kind: true, nPoints: true, summary: true, createdAt: true },
  });
  return { items: [...BUILTIN_DATASETS, ...rows.map((r) => ({ ...r, builtin: false }))] };
}

export async function getDatasetHandler({ ctx, input }: { ctx: OrgContext; input: DatasetRefInput }) {
  const builtin = BUILTIN_DATASETS.find((d) => d.id === input.datasetId);
  if (builtin) return { ...builtin, data: null };
  const row = await ctx.orgDb.dataset.findFirst({
    where: { id: input.datasetId, orgId: ctx.org.id },
    select: { id: true, name: true, kind: true, nPoints: true, summary: true, data: true, createdAt: true },
  });
  if (!row) throw new TRPCError({ code: "NOT_FOUND", message: "dataset not found" });
  return { ...row, builtin: false };
}

export async function deleteDatasetHandler({ ctx, input }: { ctx: OrgContext; input: DatasetRefInput }) {
  const row = await ctx.orgDb.dataset.findFirst({
    where: { id: input.datasetId, orgId: ctx.org.id },
    select: { id: true, name: true, _count: { select: { studies: true } } },
  });
  if (!row) throw new TRPCError({ code: "NOT_FOUND", message: "dataset not found" });
  if (row._count.studies > 0) {
    throw new TRPCError({ code: "CONFLICT", message: `dataset is used by ${row._count.studies} studies` });
  }
  return ctx.orgDb.$transaction(async (tx) => {
    await tx.dataset.deleteMany({ where: { id: row.id, orgId: ctx.org.id } });
    await recordAudit(tx, ctx, { action: "dataset.delete", target: row.id, data: { name: row.name } });
    return { id: row.id, deleted: true };
  });
}
