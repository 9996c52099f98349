import type { FitSummary } from "@hyperensemble/platform";
import { Histogram } from "../charts";
import { Card, fmt, rowClass, TableHead, tableClass } from "../ui";

// The parts of the fit page read from the fit's outcome (fit.get): post-fit rule and counts, the
// per-dataset χ² table, the replicas' χ² and training-length distributions.

/** The outcome as stored (NaN and ∞ written as null). */
export type StoredSummary = Omit<FitSummary, "datasets" | "centralChi2" | "phi2" | "replicas"> & {
  datasets: { name: string; nPoints: number; chi2: number | null }[];
  centralChi2: number | null;
  phi2: number | null;
  replicas: {
    replica: number;
    chi2: number | null;
    validationChi2: number | null;
    trainingEpochs: number;
    positivity: number | null;
    integrability: number | null;
  }[];
};

export interface PostfitRuleView {
  chi2Sigma: number;
  positivityTolerance: number;
  integrabilityThreshold?: number;
}

export function PostfitCard({ rule, summary }: { rule: PostfitRuleView; summary: StoredSummary | null }) {
  const d = summary?.selection.discarded;
  return (
    <Card title="Post-fit selection" testId="postfit">
      <p className="text-sm">
        Discard a replica whose χ² is above mean + {rule.chi2Sigma}σ of the replicas' χ², with a positivity
        observable below −{rule.positivityTolerance}
        {rule.integrabilityThreshold !== undefined
          ? `, or |x·f| at the smallest x above ${rule.integrabilityThreshold}`
          : " (no integrability check)"}
        .
      </p>
      {summary && d ? (
        <p className="mt-2 text-sm" data-testid="postfit-counts">
          Kept <strong>{summary.kept}</strong>, discarded <strong>{summary.discarded}</strong> (χ²{" "}
          {d.chi2.length}, positivity {d.positivity.length}, integrability {d.integrability.length}); χ²
          threshold {fmt(summary.selection.chi2Threshold)}.
        </p>
      ) : (
        <p className="mt-2 text-sm text-slate-600 dark:text-slate-400">
          Counts appear when the fit completes.
        </p>
      )}
    </Card>
  );
}

/** χ² per point of the kept replicas' mean prediction, per sub-dataset and in total. */
export function DatasetChi2Table({ summary }: { summary: StoredSummary }) {
  const total = summary.datasets.reduce((n, d) => n + d.nPoints, 0);
  return (
    <table className={tableClass} data-testid="fit-datasets">
      <TableHead columns={["Dataset", "Points", "χ²/N"]} />
      <tbody>
        {summary.datasets.map((d) => (
          <tr key={d.name} className={rowClass}>
            <td className="py-1 pr-2">{d.name}</td>
            <td className="py-1 pr-2">{d.nPoints}</td>
            <td className="py-1 pr-2">{fmt(d.chi2)}</td>
          </tr>
        ))}
        <tr className={`${rowClass} font-medium`}>
          <td className="py-1 pr-2">all data</td>
          <td className="py-1 pr-2">{total}</td>
          <td className="py-1 pr-2">{fmt(summary.centralChi2)}</td>
        </tr>
      </tbody>
    </table>
  );
}

/** The replicas' χ² and training lengths, kept and discarded apart. */
export function ReplicaDistributions({ summary }: { summary: StoredSummary }) {
  const kept = new Set(summary.selection.kept);
  const split = (pick: (r: StoredSummary["replicas"][number]) => number | null) => [
    {
      name: "kept",
      values: summary.replicas.filter((r) => kept.has(r.replica)).map((r) => pick(r) ?? Number.NaN),
    },
    {
      name: "discarded",
      values: summary.replicas.filter((r) => !kept.has(r.replica)).map((r) => pick(r) ?? Number.NaN),
    },
  ];
  return (
    <div className="grid grid-cols-1 gap-4 md:grid-cols-2" data-testid="fit-distributions">
      <Histogram
        series={split((r) => r.chi2)}
        xLabel="replica χ²/N to the data"
        label="Replicas' χ² distribution"
        testId="fit-chi2-histogram"
      />
      <Histogram
        series={split((r) => r.trainingEpochs)}
        xLabel="training length (best epoch)"
        label="Replicas' training-length distribution"
        testId="fit-epochs-histogram"
      />
    </div>
  );
}
