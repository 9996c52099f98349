// Platform admins are operators, not organisation members: the emails listed in
// HENS_PLATFORM_ADMINS. Every admin surface (/admin/queues, /admin/bull) asks this one check.

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
