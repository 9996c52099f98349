// Single-use, expiring links mailed to a user (password reset, email verification). The token is
// returned once (to go into the mail); the database keeps its SHA-256. Using a link is a
// compare-and-set on usedAt, so two clicks (or a race) use it once.
import { randomBytes } from "node:crypto";
import type { Db, DbTransaction } from "@hyperensemble/db";
import { sha256Hex } from "../../auth/token";

export type LinkPurpose = "password-reset" | "email-verify";

export const LINK_LIFETIME_MS: Record<LinkPurpose, number> = {
  "password-reset": 60 * 60_000,
  "email-verify": 7 * 86_400_000,
};

export async function issueLink(db: Db, userId: string, purpose: LinkPurpose, now: Date): Promise<string> {
  const token = randomBytes(32).toString("base64url");
  // A new link replaces the user's earlier unused ones of the same purpose.
  await db.accountToken.updateMany({ where: { userId, purpose, usedAt: null }, data: { usedAt: now } });
  await db.accountToken.create({
    data: {
      userId,
      purpose,
      tokenHash: sha256Hex(token),
      expiresAt: new Date(now.getTime() + LINK_LIFETIME_MS[purpose]),
    },
  });
  return token;
}

/** The user the link belongs to, consuming it; null when unknown, used, expired or of another purpose. */
export async function consumeLink(
  tx: DbTransaction,
  token: string,
  purpose: LinkPurpose,
  now: Date,
): Promise<string | null> {
  const row = await tx.accountToken.findUnique({
    where: { tokenHash: sha256Hex(token) },
    select: { id: true, userId: true, purpose: true },
  });
  if (!row || row.purpose !== purpose) return null;
  const used = await tx.accountToken.updateMany({
    where: { id: row.id, usedAt: null, expiresAt: { gt: now } },
    data: { usedAt: now },
  });
  return used.count === 1 ? row.userId : null;
}
