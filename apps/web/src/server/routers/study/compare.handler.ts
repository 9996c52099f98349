import { TRPCError } from "@trpc/server";
import type { OrgContext } from "../../context-types";
import { completedTrials, selectionOf } from "./overview.handler";
import type { CompareStudiesInput } from "./view.schema";

const MAX_VALUES = 2000;

function sample(values: number[]): number[] {
  if (values.length <= MAX_VALUES) return values;
  const stride = values.length / MAX_VALUES;
  return Array.from({ length: MAX_VALUES }, (_, i) => values[Math.floor(i * stride)]!);
}

/** 2–6 studies of this org side by side: best-so-far, loss distributions, selected configurations. */
export async function compareStudiesHandler({ ctx, input }: { ctx: OrgContext; input: CompareStudiesInput }) {
  const ids = [...new Set(input.studyIds)];
  const studies = await ctx.orgDb.study.findMany({
    where: { orgId: ctx.org.id, id: { in: ids } },
    select: {
      id: true,
      name: true,
      state: true,
      sampler: true,
      scheduler: true,
      maxTrials: true,
      ensemble: true,
    },
  });
  // One missing id is NOT_FOUND for the whole request: another org's study looks exactly absent.
  if (studies.length !== ids.length) throw new TRPCError({ code: "NOT_FOUND", message: "study not found" });
  const order = new Map(ids.map((id, i) => [id, i]));
  studies.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  return {
    studies: await Promise.all(
      studies.map(async (s) => {
        const rows = await completedTrials(ctx, s.id);
        const selection = selectionOf(rows);
        let best = Number.POSITIVE_INFINITY;
        const history: { number: number; value: number }[] = [];
        for (const r of rows) {
          if (r.value < best) {
            best = r.value;
            history.push({ number: r.number, value: r.value });
          }
        }
        const last = rows.at(-1);
        if (last && history.at(-1)?.number !== last.number)
          history.push({ number: last.number, value: best });
        const selected = selection
          ? await ctx.orgDb.trial.findFirst({
              where: { orgId: ctx.org.id, id: selection.selected.id },
              select: { number: true, params: true },
            })
          : null;
        return {
          ...s,
          completed: rows.length,
          history,
          L1: sample(rows.map((r) => r.L1)),
          phi2: sample(rows.map((r) => r.phi2)),
          seconds: sample(rows.map((r) => r.durationSeconds)),
          selected: selection && selected ? { ...selection.selected, params: selected.params } : null,
          argmin: selection?.argmin ?? null,
        };
      }),
    ),
  };
}
