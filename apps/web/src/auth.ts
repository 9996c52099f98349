import { PrismaAdapter } from "@auth/prisma-adapter";
import { findUserForLogin } from "@hyperensemble/db";
import { verifyPassword } from "@hyperensemble/platform/password";
import NextAuth from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { z } from "zod";
import { env } from "./env";
import { oidcProviders } from "./lib/oidc";
import { sessionCookieOptions } from "./server/auth/session";
import { db } from "./server/db";

const credentialsSchema = z.object({
  email: z.email({ error: "email must be a valid address" }),
  password: z.string().min(1, { error: "password is required" }).max(1024),
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
      async authorize(raw) {
        const parsed = credentialsSchema.safeParse(raw);
        if (!parsed.success) return null;
        const user = await findUserForLogin(db, parsed.data.email.toLowerCase());
        if (!user?.passwordHash) return null;
        if (!(await verifyPassword(parsed.data.password, user.passwordHash))) return null;
        return { id: user.id, email: user.email, name: user.name };
      },
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
