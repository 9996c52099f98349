import { env } from "../../../env";
import { accountDeps } from "../../accounts";
import { publicProcedure, router, sessionProcedure } from "../../trpc";
import {
  changePasswordHandler,
  requestPasswordResetHandler,
  resetPasswordHandler,
  verifyEmailHandler,
} from "./password.handler";
import { meHandler, signOutEverywhereHandler, updateProfileHandler } from "./profile.handler";
import {
  ZChangePassword,
  ZRequestReset,
  ZResetPassword,
  ZSignUp,
  ZUpdateProfile,
  ZVerifyEmail,
} from "./schema";
import { signUpHandler } from "./signup.handler";

export const accountRouter = router({
  // Public: the caller has no account yet, or has lost its password. Each is rate-limited by what it
  // costs an attacker (a mail to the address's owner; a 256-bit link to guess).
  signUp: publicProcedure
    .input(ZSignUp)
    .mutation(({ ctx, input }) => signUpHandler({ deps: accountDeps(ctx.db, ctx.req), input })),
  requestPasswordReset: publicProcedure
    .input(ZRequestReset)
    .mutation(({ ctx, input }) => requestPasswordResetHandler({ deps: accountDeps(ctx.db, ctx.req), input })),
  resetPassword: publicProcedure
    .input(ZResetPassword)
    .mutation(({ ctx, input }) => resetPasswordHandler({ deps: { db: ctx.db }, input })),
  verifyEmail: publicProcedure
    .input(ZVerifyEmail)
    .mutation(({ ctx, input }) => verifyEmailHandler({ deps: { db: ctx.db }, input })),
  me: sessionProcedure.query(({ ctx }) => meHandler({ ctx, platformAdmins: env.HENS_PLATFORM_ADMINS })),
  updateProfile: sessionProcedure
    .input(ZUpdateProfile)
    .mutation(({ ctx, input }) => updateProfileHandler({ ctx, input })),
  changePassword: sessionProcedure
    .input(ZChangePassword)
    .mutation(({ ctx, input }) => changePasswordHandler({ ctx, input })),
  signOutEverywhere: sessionProcedure.mutation(({ ctx }) => signOutEverywhereHandler({ ctx })),
});
