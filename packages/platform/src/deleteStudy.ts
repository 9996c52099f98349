import type { Db } from "@hyperensemble/db";
import { StudyStateError } from "./control.ts";
import { notifyStudy } from "./events.ts";

/**
 * Delete a study with its trials, results and intermediate values (the schema cascades). Refused
 * while runners hold a RUNNING trial of it: cancel it first and let them stop. Its WAITING trials are
 * taken out of reach in the same transaction, so a runner cannot claim one between the check and the
 * delete (a claim is a compare-and-set on WAITING). Returns what was deleted, for the audit log.
 */
export async function deleteStudy(db: Db, ref: { orgId: string; studyId: string }) {
  const deleted = await db.$transaction(async (tx) => {
    const study = await tx.study.findFirst({
      where: { id: ref.studyId, orgId: ref.orgId },
      select: { id: true, name: true, state: true },
    });
    if (!study) return null;
    // Locks the WAITING rows: a claim in flight either committed first (then it is RUNNING, counted
    // below) or finds no WAITING row once this commits.
    await tx.trial.updateMany({
      where: { orgId: ref.orgId, studyId: ref.studyId, state: "WAITING" },
      data: { state: "FAIL", error: "study deleted" },
    });
    const running = await tx.trial.count({
      where: { orgId: ref.orgId, studyId: ref.studyId, state: "RUNNING" },
    });
    if (running > 0)
      throw new StudyStateError(
        `study has ${running} trial${running === 1 ? "" : "s"} RUNNING on runners: cancel it first and delete it once they have stopped`,
      );
    const trials = await tx.trial.count({ where: { orgId: ref.orgId, studyId: ref.studyId } });
    await tx.study.deleteMany({ where: { id: ref.studyId, orgId: ref.orgId } });
    return { id: study.id, name: study.name, state: study.state, trials };
  });
  if (deleted) await notifyStudy(db, { ...ref, kind: "study" });
  return deleted;
}
