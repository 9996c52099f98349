import { PrismaAdapter } from "@auth/prisma-adapter";
import NextAuth from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { env } from "./env";
import { oidcProviders } from "./lib/oidc";
import { signupMode } from "./server/accounts";
import { credentialsAuthorizer } from "./server/auth/credentials";
import { oidcSignInAllowed } from "./server/auth/oidc-signup";
import { sessionCookieOptions, sessionPolicy } from "./server/auth/session";
import { endSession, sessionClaims, sessionIsLive, startSession } from "./server/auth/session-store";
import { PostgresTokenBuckets, SignInThrottle } from "./server/auth/sign-in-throttle";
import { db } from "./server/db";

const authorize = credentialsAuthorizer({
  db,
  throttle: new SignInThrottle(new PostgresTokenBuckets(db), {
    accountAttempts: env.HENS_SIGNIN_ACCOUNT_ATTEMPTS,
    accountRefillSeconds: env.HENS_SIGNIN_ACCOUNT_REFILL_SECONDS,
    addressAttempts: env.HENS_SIGNIN_ADDRESS_ATTEMPTS,
    addressRefillSeconds: env.HENS_SIGNIN_ADDRESS_REFILL_SECONDS,
  }),
  trustedProxyHops: env.HENS_TRUSTED_PROXY_HOPS,
  requireVerifiedEmail: env.HENS_EMAIL_VERIFICATION === "required",
});

export const { handlers, auth, signIn, signOut } = NextAuth({
  secret: env.AUTH_SECRET,
  trustHost: true,
  ...sessionCookieOptions(env.AUTH_URL),
  // The adapter stores OIDC accounts (and creates the user on a provider's first sign-in, once the
  // signIn callback has allowed it); sessions are JWTs because the credentials provider requires it,
  // each naming a server-side session row (server/auth/session-store.ts) so that it can be revoked.
  adapter: PrismaAdapter(db),
  // maxAge caps a cookie whatever happens; the idle lifetime (HENS_SESSION_IDLE_HOURS, sliding) is
  // the session row's, checked on every request.
  session: { strategy: "jwt", maxAge: env.HENS_SESSION_MAX_DAYS * 86_400 },
  pages: { signIn: "/signin" },
  providers: [
    Credentials({
      id: "credentials",
      name: "Email and password",
      credentials: {
        email: { label: "Email", type: "email" },
        password: { label: "Password", type: "password" },
      },
      authorize,
    }),
    ...oidcProviders(),
  ],
  callbacks: {
    signIn({ user, account, profile }) {
      if (!account || account.type === "credentials") return true;
      // A provider's sign-in: an existing active user, or a new one HENS_SIGNUP lets in.
      return oidcSignInAllowed(db, {
        email: user.email ?? null,
        profile: profile as Record<string, unknown> | undefined,
        mode: signupMode,
        groupClaim: env.HENS_SIGNUP_GROUP_CLAIM,
        platformAdmins: env.HENS_PLATFORM_ADMINS,
      });
    },
    async jwt({ token, user }) {
      if (user?.id) {
        // Sign-in: a new server-side session; the cookie carries its id and the user's version.
        const started = await startSession(db, user.id, sessionPolicy);
        if (!started) return null;
        return { ...token, sub: user.id, sid: started.sid, sv: started.sv };
      }
      const claims = sessionClaims(token);
      // Returning null ends the session: next-auth clears the cookie and auth() reads signed out.
      if (!claims || !(await sessionIsLive(db, claims, sessionPolicy))) return null;
      return token;
    },
    session({ session, token }) {
      if (token.sub) session.user.id = token.sub;
      return session;
    },
  },
  events: {
    async signOut(message) {
      // The cookie is deleted in this browser; ending the row refuses every copy of it too.
      const claims = "token" in message ? sessionClaims(message.token) : null;
      if (claims) await endSession(db, claims.sid);
    },
  },
});
