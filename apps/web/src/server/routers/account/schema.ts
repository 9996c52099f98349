import { z } from "zod";

export const ZEmail = z
  .email({ error: "email must be a valid address" })
  .max(320, { error: "email is too long" })
  .transform((e) => e.trim().toLowerCase());

export const ZNewPassword = z
  .string({ error: "password is required" })
  .min(10, { error: "password must be at least 10 characters" })
  .max(1024, { error: "password must be at most 1024 characters" });

/** A mailed secret (reset or verification link) or an invitation token: 256 bits, base64url. */
export const ZLinkToken = z
  .string({ error: "token is required" })
  .regex(/^[A-Za-z0-9_-]{43}$/, { error: "token is not a valid link token" });

export const ZSignUp = z.object({
  email: ZEmail,
  name: z.string().trim().min(1, { error: "name is required" }).max(120, { error: "name is too long" }),
  password: ZNewPassword,
  /** The invitation link the person came from, if any (lets them in whatever HENS_SIGNUP says). */
  invite: ZLinkToken.optional(),
});
export type SignUpInput = z.output<typeof ZSignUp>;

export const ZUpdateProfile = z.object({
  name: z.string().trim().min(1, { error: "name is required" }).max(120, { error: "name is too long" }),
});

export const ZChangePassword = z.object({
  currentPassword: z
    .string({ error: "currentPassword is required" })
    .min(1, { error: "currentPassword is required" })
    .max(1024),
  newPassword: ZNewPassword,
});

export const ZRequestReset = z.object({ email: ZEmail });
export const ZResetPassword = z.object({ token: ZLinkToken, newPassword: ZNewPassword });
export const ZVerifyEmail = z.object({ token: ZLinkToken });
