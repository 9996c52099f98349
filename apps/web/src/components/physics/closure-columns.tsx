import { fmt } from "../ui";
import { closureOf } from "./physics-math";

/** The closure estimators' cells of a trials-table row (bias, variance, bias/variance); "–" without a truth. */
export function ClosureCells({ bias, variance }: { bias: number | null; variance: number | null }) {
  const c = closureOf({ closureBias: bias, closureVariance: variance });
  return (
    <>
      <td className="pr-3">{fmt(c?.bias, 3)}</td>
      <td className="pr-3">{fmt(c?.variance, 3)}</td>
      <td className="pr-3" data-testid="trial-closure-ratio">
        {fmt(c?.ratio, 3)}
      </td>
    </>
  );
}
