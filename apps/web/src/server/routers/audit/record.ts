import type { Prisma } from "@hyperensemble/db";
import type { OrgContext } from "../../context-types";

/** Anything with the auditEvent delegate: the org's client, or a transaction inside it. */
type AuditWriter = Pick<OrgContext["orgDb"], "auditEvent">;

export interface AuditEntry {
  /** `<domain>.<verb>`, e.g. `token.revoke`. */
  action: string;
  target?: string | null;
  /** Non-secret detail (never a token or a password). */
  data?: Prisma.InputJsonValue;
}

/**
 * One audit event per mutation: who, what, on what. Pass the transaction client when the mutation
 * runs in one, so the event commits or rolls back with it.
 */
export async function recordAudit(
  writer: AuditWriter,
  ctx: { org: { id: string }; user: { id: string } },
  entry: AuditEntry,
): Promise<void> {
  await writer.auditEvent.create({
    data: {
      orgId: ctx.org.id,
      actorId: ctx.user.id,
      action: entry.action,
      target: entry.target ?? null,
      ...(entry.data === undefined ? {} : { data: entry.data }),
    },
  });
}
