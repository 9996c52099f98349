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
