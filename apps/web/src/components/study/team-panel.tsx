"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/trpc/react";
import { NoteEditor, TagEditor } from "../team/tags-notes";
import { Button, Card, readableError } from "../ui";

/**
 * A study's tags, note and archive switch (issue 20). Archiving only files the study away: a running
 * study keeps running (Pause and Cancel are in the controls).
 */
export function StudyTeamPanel({
  org,
  studyId,
  tags,
  note,
  archivedAt,
}: {
  org: string;
  studyId: string;
  tags: readonly string[];
  note: string | null;
  archivedAt: Date | string | null;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const onSuccess = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.study.overview.queryKey({ org, studyId }) });
    void queryClient.invalidateQueries({ queryKey: trpc.study.list.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.team.studyTags.pathKey() });
  };
  const tag = useMutation(trpc.team.tagStudy.mutationOptions({ onSuccess }));
  const saveNote = useMutation(trpc.team.noteStudy.mutationOptions({ onSuccess }));
  const archive = useMutation(trpc.team.archiveStudy.mutationOptions({ onSuccess }));
  return (
    <Card title="Tags, note and archive" testId="study-team">
      <div className="grid grid-cols-1 gap-4 md:grid-cols-2">
        <div className="space-y-3">
          <TagEditor
            label="study"
            tags={tags}
            pending={tag.isPending}
            error={tag.error}
            hrefOf={(t) => `/o/${org}/studies?${new URLSearchParams({ tag: t, archived: "all" })}`}
            onChange={(change) =>
              tag.mutate({ org, studyId, add: change.add ?? [], remove: change.remove ?? [] })
            }
          />
          <div className="flex flex-wrap items-center gap-2 text-sm">
            {archivedAt ? (
              <>
                <span
                  data-testid="archived-badge"
                  className="rounded bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-900 dark:bg-amber-900 dark:text-amber-100"
                >
                  Archived {new Date(archivedAt).toLocaleDateString()}
                </span>
                <Button
                  disabled={archive.isPending}
                  onClick={() => archive.mutate({ org, studyId, archived: false })}
                >
                  Unarchive
                </Button>
              </>
            ) : (
              <Button
                disabled={archive.isPending}
                onClick={() => archive.mutate({ org, studyId, archived: true })}
                title="Leaves the default studies list; a running study keeps running"
              >
                Archive
              </Button>
            )}
            {archive.error ? (
              <span role="alert" className="text-red-700 dark:text-red-300">
                {readableError(archive.error)}
              </span>
            ) : null}
          </div>
        </div>
        <NoteEditor
          label="study"
          note={note}
          pending={saveNote.isPending}
          error={saveNote.error}
          onSave={(text) => saveNote.mutate({ org, studyId, note: text })}
        />
      </div>
    </Card>
  );
}

/** One trial's tags and note, in its dialog. */
export function TrialTeamPanel({
  org,
  studyId,
  number,
  tags,
  note,
}: {
  org: string;
  studyId: string;
  number: number;
  tags: readonly string[];
  note: string | null;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const onSuccess = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.study.trial.queryKey({ org, studyId, number }) });
  };
  const tag = useMutation(trpc.team.tagTrial.mutationOptions({ onSuccess }));
  const saveNote = useMutation(trpc.team.noteTrial.mutationOptions({ onSuccess }));
  return (
    <section className="grid grid-cols-1 gap-4 md:grid-cols-2" data-testid="trial-team">
      <div>
        <h3 className="mb-1 text-sm font-semibold">Tags</h3>
        <TagEditor
          label="trial"
          tags={tags}
          pending={tag.isPending}
          error={tag.error}
          onChange={(change) =>
            tag.mutate({ org, studyId, number, add: change.add ?? [], remove: change.remove ?? [] })
          }
        />
      </div>
      <NoteEditor
        label="trial"
        note={note}
        pending={saveNote.isPending}
        error={saveNote.error}
        onSave={(text) => saveNote.mutate({ org, studyId, number, note: text })}
      />
    </section>
  );
}
