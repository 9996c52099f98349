"use client";

import type { ReactNode } from "react";
import { Histogram } from "../charts";
import { NoData } from "../charts/frame";
import { fmt } from "../ui";
import { ExperimentPanels, PullHistogramChart } from "./data-panels";
import { FlavourPanels } from "./flavours";
import { closureOf, physicsFields, type StoredPredictions } from "./physics-math";
import { SubsetChi2Panel } from "./subset-chi2";

/** What the physics views read of a stored trial result. */
export interface PhysicsResult {
  predictions: unknown;
  replicaChi2?: number[];
  closureBias: number | null;
  closureVariance: number | null;
}

function Section({ title, children, testId }: { title: string; children: ReactNode; testId?: string }) {
  return (
    <section className="min-w-0 space-y-1" data-testid={testId}>
      <h3 className="text-sm font-semibold normal-case">{title}</h3>
      {children}
    </section>
  );
}

/**
 * The physics of one trial's ensemble (the selected trial on the study page, any trial in its
 * dialog): χ²/N per sub-dataset, data against prediction per experiment, pulls, the replicas' χ² and
 * stopping epochs, closure estimators and the flavours against the truth.
 */
export function PhysicsPanel({ result, trialLabel }: { result: PhysicsResult | null; trialLabel: string }) {
  if (!result) return <NoData>No finished trial to show yet.</NoData>;
  const predictions = (result.predictions ?? null) as StoredPredictions | null;
  const fields = physicsFields(predictions);
  const closure = closureOf(result);
  const epochs = fields.stoppingEpochs ?? [];
  const xLabel = predictions?.xLabel ?? "x";
  return (
    <div className="space-y-6" data-testid="physics-panel">
      <Section title="χ²/N per sub-dataset" testId="physics-subsets">
        <SubsetChi2Panel rows={fields.subsetChi2} />
      </Section>
      <Section title="Data and prediction per experiment" testId="physics-experiments">
        <ExperimentPanels data={predictions?.data} xLabel={xLabel} />
      </Section>
      <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
        <Section title="Pulls" testId="physics-pulls">
          <PullHistogramChart data={predictions?.data} />
        </Section>
        <Section title="Closure estimators" testId="physics-closure">
          {closure ? (
            <dl className="grid grid-cols-3 gap-2 text-sm">
              {[
                ["bias", closure.bias],
                ["variance", closure.variance],
                ["bias / variance", closure.ratio],
              ].map(([k, v]) => (
                <div key={k as string} className="rounded border border-slate-200 p-2 dark:border-slate-700">
                  <dt className="text-xs text-slate-600 dark:text-slate-400">{k}</dt>
                  <dd className="font-mono">{fmt(v as number | null, 3)}</dd>
                </div>
              ))}
            </dl>
          ) : (
            <NoData>No closure estimators: the truth is known only for the built-in closure task.</NoData>
          )}
          <p className="text-xs text-slate-600 dark:text-slate-400">
            bias = χ²(⟨T⟩, T_true), variance = mean over replicas of χ²(T_r, ⟨T⟩), on the held-out points;
            faithful uncertainties give bias / variance ≈ 1.
          </p>
        </Section>
        <Section title={`Replica χ² of ${trialLabel}`} testId="physics-replica-chi2">
          <Histogram
            series={[{ name: trialLabel, values: result.replicaChi2 ?? [] }]}
            xLabel="χ² per point of one replica (held-out, mean over folds)"
            label="Distribution of the replicas' χ²"
            width={560}
          />
        </Section>
        <Section title={`Stopping epochs of ${trialLabel}`} testId="physics-stopping">
          {epochs.length ? (
            <Histogram
              series={[{ name: trialLabel, values: epochs }]}
              xLabel="epoch of the best validation χ² (weights kept), per member"
              label="Distribution of the members' stopping epochs"
              bins={Math.min(20, Math.max(1, new Set(epochs).size))}
              width={560}
            />
          ) : (
            <NoData>No stopping epochs in this result (trials trained before they were recorded).</NoData>
          )}
        </Section>
      </div>
      <Section title="Flavours" testId="physics-flavours">
        <FlavourPanels predictions={predictions} />
      </Section>
    </div>
  );
}
