import { z } from "zod";

export const ROLES = ["OWNER", "ADMIN", "MEMBER", "VIEWER"] as const;
export const ZRole = z.enum(ROLES, { error: `role must be one of ${ROLES.join(", ")}` });

export const ZMemberRef = z.object({ userId: z.string({ error: "userId is required" }).min(1) });
export type MemberRefInput = z.output<typeof ZMemberRef>;

export const ZUpdateMemberRole = ZMemberRef.extend({ role: ZRole });
export type UpdateMemberRoleInput = z.output<typeof ZUpdateMemberRole>;
