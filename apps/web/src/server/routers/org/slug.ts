import { z } from "zod";

// Organisation slugs appear in URLs (/o/<slug>, /api/v1/orgs/<slug>): lower-case letters, digits and
// single hyphens, 3 to 40 characters, and none of the words the app's own paths or a support desk
// would be confused with.
export const RESERVED_SLUGS = new Set([
  "admin",
  "administrator",
  "api",
  "app",
  "auth",
  "account",
  "accounts",
  "billing",
  "dashboard",
  "docs",
  "help",
  "hyperensemble",
  "invite",
  "login",
  "logout",
  "new",
  "o",
  "onboarding",
  "org",
  "orgs",
  "platform",
  "reset",
  "root",
  "settings",
  "signin",
  "signout",
  "signup",
  "static",
  "status",
  "support",
  "system",
  "www",
]);

export const ZOrgSlug = z
  .string({ error: "slug is required" })
  .trim()
  .toLowerCase()
  .min(3, { error: "slug must be at least 3 characters" })
  .max(40, { error: "slug must be at most 40 characters" })
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, {
    error: "slug may contain lower-case letters, digits and single hyphens, not at either end",
  })
  .refine((s) => !RESERVED_SLUGS.has(s), { error: "slug is a reserved word: choose another" });

export const ZOrgName = z
  .string({ error: "name is required" })
  .trim()
  .min(2, { error: "name must be at least 2 characters" })
  .max(80, { error: "name must be at most 80 characters" });

/** A slug suggested from a name (the form pre-fills it; the user may change it). */
export function slugFromName(name: string): string {
  return (
    name
      .toLowerCase()
      .normalize("NFKD")
      // The accents NFKD split off: "Ü" reads as "u", not as a hyphen.
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 40)
      .replace(/-+$/, "")
  );
}
