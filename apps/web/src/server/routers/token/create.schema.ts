import { z } from "zod";
import { TOKEN_SCOPES } from "../../auth/token";

export const ZCreateToken = z.object({
  name: z
    .string({ error: "name is required" })
    .trim()
    .min(1, { error: "name is required" })
    .max(100, { error: "name must be at most 100 characters" }),
  scopes: z
    .array(z.enum(TOKEN_SCOPES, { error: `each scope must be one of ${TOKEN_SCOPES.join(", ")}` }))
    .min(1, { error: "scopes: give at least one scope" })
    .transform((scopes) => [...new Set(scopes)]),
  /** Days until the token expires; omit for a token that never expires (revoke it instead). */
  expiresInDays: z
    .number({ error: "expiresInDays must be a number" })
    .int({ error: "expiresInDays must be a whole number" })
    .min(1, { error: "expiresInDays must be at least 1" })
    .max(3650, { error: "expiresInDays must be at most 3650" })
    .optional(),
});
export type CreateTokenInput = z.output<typeof ZCreateToken>;

export const ZTokenRef = z.object({ tokenId: z.string({ error: "tokenId is required" }).min(1) });
export type TokenRefInput = z.output<typeof ZTokenRef>;
