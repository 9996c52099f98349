import type { Provider } from "next-auth/providers";
import GitHub from "next-auth/providers/github";
import GitLab from "next-auth/providers/gitlab";
import { env } from "../env";

// OIDC/OAuth providers are switched on by their environment variables (self-hosted installs use none).
export function oidcProviders(): Provider[] {
  const out: Provider[] = [];
  const e = env;
  if (e.AUTH_GITHUB_ID && e.AUTH_GITHUB_SECRET)
    out.push(GitHub({ clientId: e.AUTH_GITHUB_ID, clientSecret: e.AUTH_GITHUB_SECRET }));
  if (e.AUTH_GITLAB_ID && e.AUTH_GITLAB_SECRET)
    out.push(GitLab({ clientId: e.AUTH_GITLAB_ID, clientSecret: e.AUTH_GITLAB_SECRET }));
  if (e.AUTH_OIDC_ISSUER && e.AUTH_OIDC_ID && e.AUTH_OIDC_SECRET) {
    out.push({
      id: "oidc",
      name: e.AUTH_OIDC_NAME ?? "Single sign-on",
      type: "oidc",
      issuer: e.AUTH_OIDC_ISSUER,
      clientId: e.AUTH_OIDC_ID,
      clientSecret: e.AUTH_OIDC_SECRET,
    });
  }
  return out;
}

/**
 * Where the sign-in forms of the configured providers send the browser (the CSP's form-action: Chrome
 * checks the redirect that follows a form submission too).
 */
export function oidcFormActionOrigins(): string[] {
  const e = env;
  const out: string[] = [];
  if (e.AUTH_GITHUB_ID && e.AUTH_GITHUB_SECRET) out.push("https://github.com");
  if (e.AUTH_GITLAB_ID && e.AUTH_GITLAB_SECRET) out.push("https://gitlab.com");
  if (e.AUTH_OIDC_ISSUER && e.AUTH_OIDC_ID && e.AUTH_OIDC_SECRET)
    out.push(new URL(e.AUTH_OIDC_ISSUER).origin);
  return out;
}
