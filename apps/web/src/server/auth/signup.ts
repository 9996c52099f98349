// Who may create an account, and an organisation (HENS_SIGNUP, docs/operations.md "Sign-up modes").
// One decision for both doors: the sign-up form (email and password) and an OIDC provider's first
// sign-in (auth.ts signIn callback). An invitation to the address and a platform admin's address
// always get in, whatever the mode: that is how an invite-only install starts and grows.
import { isPlatformAdmin } from "./platform-admin";

export type SignupMode =
  | { kind: "open" }
  | { kind: "invite" }
  | { kind: "domains"; domains: readonly string[] }
  | { kind: "oidc-group"; group: string };

/** HENS_SIGNUP: open | invite | domains:<a.org,b.org> | oidc-group:<claim value>. */
export function parseSignupMode(raw: string | undefined): SignupMode {
  const value = (raw ?? "invite").trim();
  if (value === "open") return { kind: "open" };
  if (value === "invite" || value === "") return { kind: "invite" };
  if (value.startsWith("domains:")) {
    const domains = value
      .slice("domains:".length)
      .split(/[\s,]+/)
      .map((d) => d.trim().toLowerCase().replace(/^@/, ""))
      .filter(Boolean);
    if (domains.length === 0) throw new Error("HENS_SIGNUP: domains: needs at least one domain");
    return { kind: "domains", domains };
  }
  if (value.startsWith("oidc-group:")) {
    const group = value.slice("oidc-group:".length).trim();
    if (!group) throw new Error("HENS_SIGNUP: oidc-group: needs the claim value");
    return { kind: "oidc-group", group };
  }
  throw new Error(`HENS_SIGNUP must be open, invite, domains:<list> or oidc-group:<value>, not "${value}"`);
}

export interface SignupCandidate {
  email: string;
  /** How the account is being created: the sign-up form, or a provider's first sign-in. */
  via: "password" | "oidc";
  /** The provider's group claim (HENS_SIGNUP_GROUP_CLAIM), when via oidc. */
  groups?: readonly string[];
  /** A pending, unexpired invitation to this address exists. */
  invited: boolean;
}

export type Decision = { allowed: true } | { allowed: false; reason: string };

const domainOf = (email: string) => email.slice(email.lastIndexOf("@") + 1).toLowerCase();

export function mayCreateAccount(mode: SignupMode, who: SignupCandidate, platformAdmins?: string): Decision {
  if (who.invited || isPlatformAdmin(who.email, platformAdmins)) return { allowed: true };
  switch (mode.kind) {
    case "open":
      return { allowed: true };
    case "invite":
      return { allowed: false, reason: "sign-up is by invitation: ask a member for an invitation link" };
    case "domains":
      return mode.domains.includes(domainOf(who.email))
        ? { allowed: true }
        : { allowed: false, reason: `sign-up is open to addresses at ${mode.domains.join(", ")}` };
    case "oidc-group":
      if (who.via !== "oidc") {
        return { allowed: false, reason: "sign-up is through the organisation's single sign-on" };
      }
      return who.groups?.includes(mode.group)
        ? { allowed: true }
        : { allowed: false, reason: `your account is not in the group ${mode.group}` };
  }
}

/** Who may create a new organisation (and become its OWNER). */
export function mayCreateOrg(mode: SignupMode, email: string, platformAdmins?: string): Decision {
  if (isPlatformAdmin(email, platformAdmins)) return { allowed: true };
  switch (mode.kind) {
    case "open":
    case "oidc-group":
      return { allowed: true };
    case "domains":
      return mode.domains.includes(domainOf(email))
        ? { allowed: true }
        : { allowed: false, reason: `organisations are created by addresses at ${mode.domains.join(", ")}` };
    case "invite":
      return { allowed: false, reason: "on this install, organisations are created by its operators" };
  }
}

/** The group claim of an OIDC profile as a list (a string, an array of strings, or absent). */
export function groupsClaim(profile: Record<string, unknown> | undefined, claim: string): string[] {
  const value = profile?.[claim];
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  return [];
}
