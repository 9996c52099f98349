import type { Db, DbTransaction } from "@hyperensemble/db";
import type { AuditEntry } from "../audit/record";

/**
 * An account event (password changed, sessions revoked, deactivated) goes into the audit log of every
 * organisation the user belongs to: their admins see it beside the member's other actions.
 */
export async function recordUserAudit(
  db: Db | DbTransaction,
  userId: string,
  actorId: string | null,
  entry: AuditEntry,
): Promise<void> {
  const memberships = await db.membership.findMany({ where: { userId }, select: { orgId: true } });
  for (const { orgId } of memberships) {
    await db.auditEvent.create({
      data: {
        orgId,
        actorId,
        action: entry.action,
        target: entry.target ?? userId,
        ...(entry.data === undefined ? {} : { data: entry.data }),
      },
    });
  }
}
