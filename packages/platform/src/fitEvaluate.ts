import { StudyInputError } from "./errors.ts";
import { type FitEvaluateBody, MAX_EVALUATE_CELLS } from "./fitSchema.ts";
import type { FitOutcome } from "./fitTrain.ts";
import { evaluateWeights, fitWeights } from "./fitWeights.ts";

export interface FitEvaluation {
  outputNames: string[];
  rows: number[][];
  /** The kept replicas' ids, in the order of `outputs`. */
  replicas: number[];
  /** outputs[k][i][f]: kept replica k on row i, output f (float64, as the weights' evaluator). */
  outputs: number[][][];
  /** The kept replicas' mean and sample standard deviation per row and output. */
  mean: number[][];
  sd: number[][];
}

/**
 * A COMPLETED fit's kept replicas on the feature rows the user gives (issue 16: "every replica's
 * outputs on a grid the user gives"), through the same weights and evaluator as the `weights` export,
 * so the numbers equal what `evaluateWeights` / scripts/hens_weights.py give on those rows.
 */
export function fitEvaluate(
  fit: { id: string; state: string; artifact: unknown },
  body: Pick<FitEvaluateBody, "rows">,
): FitEvaluation {
  if (fit.state !== "COMPLETED" || !fit.artifact)
    throw new StudyInputError("fitId", `fit is ${fit.state}: only a COMPLETED fit can be evaluated`);
  const weights = fitWeights(fit.artifact as FitOutcome);
  const K = weights.replicas.length;
  if (K === 0)
    throw new StudyInputError(
      "fitId",
      "no replica passed the post-fit selection: there is nothing to evaluate",
    );
  const D = weights.sizes[0]!;
  if (body.rows.length * K > MAX_EVALUATE_CELLS)
    throw new StudyInputError(
      "rows",
      `${body.rows.length} rows × ${K} kept replicas exceeds ${MAX_EVALUATE_CELLS.toLocaleString("en")} evaluations: send at most ${Math.floor(MAX_EVALUATE_CELLS / K)} rows per request`,
    );
  const preprocessing = weights.replicas[0]!.alpha !== undefined;
  body.rows.forEach((row, i) => {
    if (row.length !== D)
      throw new StudyInputError(`rows.${i}`, `has ${row.length} features; the fit's model takes ${D}`);
    const x = row[weights.xFeature]!;
    if (preprocessing && !(x > 0 && x < 1))
      throw new StudyInputError(
        `rows.${i}.${weights.xFeature}`,
        `x must lie in (0, 1) for the preprocessing x^α (1−x)^β, got ${x}`,
      );
  });
  const outputs = weights.replicas.map((_, k) => evaluateWeights(weights, k, body.rows));
  const F = weights.outputNames.length;
  const mean = body.rows.map((_, i) =>
    Array.from({ length: F }, (_, f) => outputs.reduce((s, o) => s + o[i]![f]!, 0) / K),
  );
  const sd = body.rows.map((_, i) =>
    Array.from({ length: F }, (_, f) =>
      K < 2 ? 0 : Math.sqrt(outputs.reduce((s, o) => s + (o[i]![f]! - mean[i]![f]!) ** 2, 0) / (K - 1)),
    ),
  );
  const replicas = weights.replicas.map((r) => r.replica);
  return { outputNames: weights.outputNames, rows: body.rows, replicas, outputs, mean, sd };
}
