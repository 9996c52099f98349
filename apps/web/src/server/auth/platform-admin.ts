// Platform admins are operators, not organisation members: the emails listed in
// HENS_PLATFORM_ADMINS. Every admin surface (/admin pages, /admin/queues, /admin/bull and the admin
// tRPC procedures) asks this one check, on the email stored for the signed-in user id.
import type { Db } from "@hyperensemble/db";

/** Platform admins: the emails listed in HENS_PLATFORM_ADMINS (comma or space separated). */
export function isPlatformAdmin(email: string | null | undefined, admins: string | undefined): boolean {
  if (!email || !admins) return false;
  const list = admins
    .split(/[\s,]+/)
    .map((e) => e.trim().toLowerCase())
    .filter(Boolean);
  return list.includes(email.trim().toLowerCase());
}

/** What a request may see of the admin pages: everything, nothing (signed in), or sign in first. */
export type PlatformAdminAccess = "admin" | "forbidden" | "anonymous";

/** The session as auth() returns it; only the email matters here. */
export interface SessionLike {
  user?: { email?: string | null | undefined } | undefined;
}

export function platformAdminAccess(
  session: SessionLike | null | undefined,
  admins: string | undefined,
): PlatformAdminAccess {
  const email = session?.user?.email;
  if (!email) return "anonymous";
  return isPlatformAdmin(email, admins) ? "admin" : "forbidden";
}

/** The access of user `userId` (the session's subject), by the email stored for it, never a claim. */
export async function storedPlatformAdminAccess(
  db: Db,
  userId: string | null | undefined,
  admins: string | undefined,
): Promise<PlatformAdminAccess> {
  if (!userId) return "anonymous";
  const user = await db.user.findUnique({
    where: { id: userId },
    select: { email: true, deactivatedAt: true },
  });
  if (!user || user.deactivatedAt) return "anonymous";
  return platformAdminAccess({ user: { email: user.email } }, admins);
}
