"use client";

import { trialOutcome } from "@hyperensemble/platform/outcome";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useRef } from "react";
import { useTRPC } from "@/trpc/react";
import { Histogram, LearningCurves, PredictionBands, type Predictions } from "../charts";
import { PhysicsPanel } from "../physics/physics-panel";
import { Button, ErrorState, fmt, fmtSeconds, Loading, linkClass, StateBadge } from "../ui";
import { TrialTeamPanel } from "./team-panel";

/** One trial in a modal dialog (Escape closes it, focus returns to the table). */
export function TrialDetail({
  org,
  studyId,
  number,
  onClose,
}: {
  org: string;
  studyId: string;
  number: number;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const ref = useRef<HTMLDialogElement>(null);
  const trial = useQuery(trpc.study.trial.queryOptions({ org, studyId, number }));
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  const t = trial.data;
  const r = t?.result ?? null;
  return (
    <dialog
      ref={ref}
      onClose={onClose}
      aria-labelledby="trial-detail-title"
      className="m-auto max-h-[90vh] w-[min(1000px,95vw)] overflow-y-auto rounded-lg border border-slate-300 bg-white p-6 text-slate-900 backdrop:bg-black/40 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100"
      data-testid="trial-detail"
    >
      <div className="mb-4 flex items-center justify-between">
        <h2 id="trial-detail-title" className="text-xl font-semibold">
          Trial #{number} {t ? <StateBadge state={trialOutcome(t.state, t.error)} /> : null}
        </h2>
        <Button onClick={() => ref.current?.close()}>Close</Button>
      </div>
      {t?.state === "COMPLETE" ? (
        <p className="mb-3 text-sm">
          <Link className={linkClass} href={`/o/${org}/studies/${studyId}?fitFrom=${number}#fits`}>
            Start a fit from this trial
          </Link>
        </p>
      ) : null}
      {trial.isLoading ? <Loading what="trial" /> : null}
      <ErrorState error={trial.error} what="trial" />
      {t ? (
        <div className="space-y-5">
          <dl className="grid grid-cols-2 gap-x-6 gap-y-1 text-sm md:grid-cols-4">
            {[
              ["L1", fmt(r?.L1)],
              ["L2", fmt(r?.L2)],
              ["L3", fmt(r?.L3)],
              ["φ²", fmt(r?.phi2)],
              ["Epochs", String(r?.epochs ?? "–")],
              ["Duration", fmtSeconds(r?.durationSeconds)],
              ["Runner", t.runner ? `${t.runner.name} (${t.runner.backend})` : "–"],
              ["Attempt", String(t.attempt)],
              ["Closure bias", fmt(r?.closureBias)],
              ["Closure variance", fmt(r?.closureVariance)],
              [
                "Bias / variance",
                r?.closureBias != null && r?.closureVariance
                  ? fmt(r.closureBias / r.closureVariance, 3)
                  : "–",
              ],
            ].map(([k, v]) => (
              <div
                key={k}
                className="flex justify-between gap-2 border-b border-slate-100 py-1 dark:border-slate-800"
              >
                <dt className="text-slate-600 dark:text-slate-400">{k}</dt>
                <dd className="font-mono">{v}</dd>
              </div>
            ))}
          </dl>
          {t.error ? (
            <p
              role="alert"
              className="rounded bg-red-50 p-2 text-sm text-red-800 dark:bg-red-950 dark:text-red-200"
            >
              {t.error}
            </p>
          ) : null}
          <section>
            <h3 className="mb-1 text-sm font-semibold">Parameters</h3>
            <p className="font-mono text-xs">
              {Object.entries((t.params ?? {}) as Record<string, unknown>)
                .map(([k, v]) => `${k}=${String(v)}`)
                .join("  ")}
            </p>
          </section>
          <TrialTeamPanel org={org} studyId={studyId} number={number} tags={t.tags} note={t.note} />
          {r ? (
            <section>
              <h3 className="mb-1 text-sm font-semibold">Per fold</h3>
              <table className="text-sm">
                <thead>
                  <tr>
                    <th scope="col" className="pr-4 text-left">
                      Fold
                    </th>
                    <th scope="col" className="pr-4 text-left">
                      ⟨χ²⟩ replicas
                    </th>
                    <th scope="col" className="pr-4 text-left">
                      χ² of ⟨T⟩
                    </th>
                    <th scope="col" className="pr-4 text-left">
                      φ²
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {r.foldChi2.map((v, k) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: folds are positional
                    <tr key={k}>
                      <td className="pr-4">{k + 1}</td>
                      <td className="pr-4 font-mono">{fmt(v)}</td>
                      <td className="pr-4 font-mono">{fmt(r.foldCentralChi2[k])}</td>
                      <td className="pr-4 font-mono">{fmt(r.foldPhi2[k])}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          ) : null}
          <section>
            <h3 className="mb-1 text-sm font-semibold">
              Per-replica χ² ({r?.replicaChi2.length ?? 0} replicas)
            </h3>
            <Histogram
              series={[{ name: `trial ${number}`, values: r?.replicaChi2 ?? [] }]}
              xLabel="χ² of one replica"
              label="Distribution of per-replica chi2"
              testId="replica-histogram"
              width={900}
            />
          </section>
          <section>
            <h3 className="mb-1 text-sm font-semibold">Learning curve</h3>
            <LearningCurves
              curves={[{ number, state: t.state, points: t.intermediate.map((v) => [v.step, v.value]) }]}
            />
          </section>
          {r?.predictions ? (
            <section>
              <h3 className="mb-1 text-sm font-semibold">Ensemble predictions</h3>
              <PredictionBands predictions={r.predictions as unknown as Predictions} />
            </section>
          ) : null}
          {r ? (
            <section aria-labelledby="trial-physics-title">
              <h3 id="trial-physics-title" className="mb-1 text-sm font-semibold">
                Physics
              </h3>
              <PhysicsPanel result={r} trialLabel={`trial #${number}`} />
            </section>
          ) : null}
        </div>
      ) : null}
    </dialog>
  );
}
