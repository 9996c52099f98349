"use client";

import type { SearchSpace } from "@hyperensemble/engine/search";
import type { StoredTask } from "@hyperensemble/platform";
import type { CreateStudyInput } from "@hyperensemble/platform/schema";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useRouter, useSearchParams } from "next/navigation";
import { use, useState } from "react";
import { type CreateResult, SpecEditor } from "@/components/spec-editor";
import { StudyForm, type StudyFormInitial } from "@/components/study-form";
import { Card, ErrorState, focusRing, Loading, PageHeader } from "@/components/ui";
import { useTRPC } from "@/trpc/react";

const TABS = [
  { id: "form", label: "Form" },
  { id: "spec", label: "YAML / JSON spec" },
] as const;

export default function NewStudyPage({ params }: { params: Promise<{ org: string }> }) {
  const { org } = use(params);
  const router = useRouter();
  const trpc = useTRPC();
  const [tab, setTab] = useState<(typeof TABS)[number]["id"]>("form");
  const create = useMutation(trpc.study.create.mutationOptions());
  // "Clone" lands here with ?from=<study id>: the form opens pre-filled, nothing is created yet.
  const from = useSearchParams().get("from");
  const source = useQuery({
    ...trpc.study.overview.queryOptions({ org, studyId: from ?? "" }),
    enabled: Boolean(from),
  });
  const initial = source.data ? cloneInitial(source.data.study) : undefined;

  // Both editors submit through here: the server re-validates with the same schema.
  async function submit(spec: CreateStudyInput): Promise<CreateResult> {
    try {
      const { id } = await create.mutateAsync({ org, ...spec });
      router.push(`/o/${org}/studies/${id}`);
      return { ok: true };
    } catch (err) {
      const data = (err as { data?: { fieldErrors?: Record<string, string> | null } }).data;
      return { ok: false, fieldErrors: data?.fieldErrors ?? { _: (err as Error).message } };
    }
  }

  return (
    <div className="space-y-4">
      <PageHeader title={initial ? `New study from “${source.data?.study.name}”` : "New study"} />
      <p className="max-w-3xl text-sm text-slate-700 dark:text-slate-300">
        Every trial trains an ensemble of replicas on the built-in proton-structure closure task (or one of
        your uploaded datasets) and is scored by held-out fold χ² (L1) and the ensemble spread φ². Use the
        form for the common case, or paste the YAML/JSON spec that <code>hens study create -f</code> takes.
      </p>
      <div role="tablist" aria-label="How to describe the study" className="flex gap-2">
        {TABS.map((t, i) => (
          <button
            key={t.id}
            id={`tab-${t.id}`}
            type="button"
            role="tab"
            aria-selected={tab === t.id}
            aria-controls={`panel-${t.id}`}
            tabIndex={tab === t.id ? 0 : -1}
            onClick={() => setTab(t.id)}
            onKeyDown={(e) => {
              if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
              const next = TABS[(i + (e.key === "ArrowRight" ? 1 : TABS.length - 1)) % TABS.length]!;
              setTab(next.id);
              document.getElementById(`tab-${next.id}`)?.focus();
            }}
            className={`rounded-t border-b-2 px-3 py-1.5 text-sm font-medium ${tab === t.id ? "border-indigo-600 text-indigo-700 dark:text-indigo-300" : "border-transparent"} ${focusRing}`}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        <Card>
          {from && !source.data ? (
            source.error ? (
              <ErrorState error={source.error} what="study to clone" />
            ) : (
              <Loading what="the study to clone" />
            )
          ) : tab === "form" ? (
            <StudyForm
              org={org}
              pending={create.isPending}
              onSubmit={submit}
              {...(initial ? { initial } : {})}
            />
          ) : (
            <SpecEditor pending={create.isPending} onSubmit={submit} />
          )}
        </Card>
      </div>
    </div>
  );
}

/**
 * A stored study as the form's starting point: same settings and space, a new name, no seed. The
 * overview has parsed the row (parseStudyRow), so its JSON columns arrive typed.
 */
function cloneInitial(s: {
  name: string;
  task: StoredTask;
  ensemble: { replicas: number; folds: number };
  training: { maxEpochs: number };
  maxTrials: number;
  parallelism: number;
  sampler: string;
  samplerOptions: Record<string, unknown>;
  scheduler: string;
  schedulerOptions: Record<string, unknown>;
  mode: string;
  objective: string;
  searchSpace: SearchSpace;
  fixed: Record<string, number | string | boolean>;
}): StudyFormInitial {
  return {
    name: `${s.name} (copy)`.slice(0, 120),
    task: s.task,
    numbers: {
      replicas: s.ensemble.replicas,
      folds: s.ensemble.folds,
      maxEpochs: s.training.maxEpochs,
      trials: s.maxTrials,
      parallelism: s.parallelism,
    },
    sampler: s.sampler,
    samplerOptions: s.samplerOptions,
    scheduler: s.scheduler,
    schedulerOptions: s.schedulerOptions,
    mode: s.mode,
    objective: s.objective,
    searchSpace: s.searchSpace,
    fixed: s.fixed,
  };
}
