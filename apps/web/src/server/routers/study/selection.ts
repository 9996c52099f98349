import type { OrgContext } from "../../context-types";

export interface Selection {
  argmin: { id: string; number: number; L1: number; phi2: number };
  selected: { id: string; number: number; L1: number; phi2: number };
  window: [number, number];
  top10: number[];
}

interface Row {
  kind: "argmin" | "window";
  id: string;
  number: number;
  L1: number;
  phi2: number;
  lo: number;
  hi: number;
}

/**
 * METHOD.md §4's selection rule (the engine's selectConfiguration) evaluated in Postgres, so a
 * 10k-trial study sends back 11 rows instead of every result: among completed trials with a finite
 * L1, the window is [min L1, min L1 + population std of L1]; in it, largest phi2 first (non-finite
 * phi2 last), ties by trial number. selection.test.ts checks it against the engine's function.
 */
export async function studySelection(ctx: OrgContext, studyId: string): Promise<Selection | null> {
  const rows = await ctx.db.$queryRaw<Row[]>`
    WITH c AS (
      SELECT t."id", t."number", r."L1", r."phi2"
      FROM "Trial" t JOIN "TrialResult" r ON r."trialId" = t."id"
      WHERE t."orgId" = ${ctx.org.id} AND r."orgId" = ${ctx.org.id} AND t."studyId" = ${studyId}
        AND t."state" = 'COMPLETE' AND r."L1" NOT IN ('NaN', 'Infinity', '-Infinity')
    ), w AS (
      SELECT min("L1") AS lo, min("L1") + stddev_pop("L1") AS hi FROM c
    )
    (SELECT 'argmin' AS "kind", c.*, w.lo, w.hi FROM c, w ORDER BY c."L1", c."number" LIMIT 1)
    UNION ALL
    (SELECT 'window' AS "kind", c.*, w.lo, w.hi FROM c, w WHERE c."L1" <= w.hi
      ORDER BY (CASE WHEN c."phi2" NOT IN ('NaN', 'Infinity', '-Infinity') THEN c."phi2"
                     ELSE '-Infinity'::float8 END) DESC, c."number"
      LIMIT 10)`;
  const argmin = rows.find((r) => r.kind === "argmin");
  const inWindow = rows.filter((r) => r.kind === "window");
  const selected = inWindow[0];
  if (!argmin || !selected) return null;
  const pick = (r: Row) => ({ id: r.id, number: r.number, L1: r.L1, phi2: r.phi2 });
  return {
    argmin: pick(argmin),
    selected: pick(selected),
    window: [argmin.lo, argmin.hi],
    top10: inWindow.map((r) => r.number),
  };
}

/** Best-so-far of the objective as a step function: the completed trials that improved on all before. */
export function bestSoFar(ctx: OrgContext, studyId: string) {
  return ctx.db.$queryRaw<{ number: number; value: number }[]>`
    WITH c AS (
      SELECT t."number", r."value",
        min(r."value") OVER (ORDER BY t."number" ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS "prev"
      FROM "Trial" t JOIN "TrialResult" r ON r."trialId" = t."id"
      WHERE t."orgId" = ${ctx.org.id} AND r."orgId" = ${ctx.org.id} AND t."studyId" = ${studyId}
        AND t."state" = 'COMPLETE' AND r."value" NOT IN ('NaN', 'Infinity', '-Infinity')
    )
    SELECT "number", "value" FROM c WHERE "prev" IS NULL OR "value" < "prev" ORDER BY "number"`;
}
