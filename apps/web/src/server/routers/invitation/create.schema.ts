import { z } from "zod";
import { ZRole } from "../member/update.schema";

export const ZCreateInvitation = z.object({
  email: z
    .email({ error: "email must be a valid address" })
    .max(320)
    .transform((e) => e.toLowerCase()),
  role: ZRole.default("MEMBER"),
  expiresInDays: z
    .number({ error: "expiresInDays must be a number" })
    .int({ error: "expiresInDays must be a whole number" })
    .min(1, { error: "expiresInDays must be at least 1" })
    .max(30, { error: "expiresInDays must be at most 30" })
    .default(7),
});
export type CreateInvitationInput = z.output<typeof ZCreateInvitation>;

export const ZInvitationRef = z.object({
  invitationId: z.string({ error: "invitationId is required" }).min(1),
});
export type InvitationRefInput = z.output<typeof ZInvitationRef>;

/** The secret from the invitation link (`/invite/<token>`). */
export const ZInvitationToken = z.object({
  token: z
    .string({ error: "token is required" })
    .regex(/^[A-Za-z0-9_-]{43}$/, { error: "token is not an invitation token" }),
});
export type InvitationTokenInput = z.output<typeof ZInvitationToken>;
