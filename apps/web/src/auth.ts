import { PrismaAdapter } from "@auth/prisma-adapter";
import NextAuth from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { env } from "./env";
import { oidcProviders } from "./lib/oidc";
import { credentialsAuthorizer } from "./server/auth/credentials";
import { sessionCookieOptions } from "./server/auth/session";
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
});

export const { handlers, auth, signIn, signOut } = NextAuth({
  secret: env.AUTH_SECRET,
  trustHost: true,
  ...sessionCookieOptions(env.AUTH_URL),
  // The adapter stores OIDC accounts; sessions are JWTs because the credentials provider requires it.
  adapter: PrismaAdapter(db),
  session: { strategy: "jwt" },
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
    jwt({ token, user }) {
      if (user?.id) token.sub = user.id;
      return token;
    },
    session({ session, token }) {
      if (token.sub) session.user.id = token.sub;
      return session;
    },
  },
});
