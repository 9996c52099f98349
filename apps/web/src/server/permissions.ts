// Role → permissions. VIEWER reads, MEMBER creates and runs, ADMIN manages members and tokens, OWNER all.
export const PERMISSIONS = [
  "study:read",
  "study:write",
  "trial:write",
  "export:read",
  "dataset:read",
  "dataset:write",
  "member:read",
  "token:create",
  "member:manage",
  "token:manage",
  "audit:read",
  "org:leave",
  "org:manage",
  "org:delete",
] as const;
export type Permission = (typeof PERMISSIONS)[number];
export type Role = "OWNER" | "ADMIN" | "MEMBER" | "VIEWER";

// token:create lets anyone create and revoke their own tokens; a token never exceeds its creator's role.
// org:leave has no token scope: a person leaves in the browser, never a script.
const VIEWER: Permission[] = [
  "study:read",
  "export:read",
  "dataset:read",
  "member:read",
  "token:create",
  "org:leave",
];
const MEMBER: Permission[] = [...VIEWER, "study:write", "trial:write", "dataset:write"];
const ADMIN: Permission[] = [...MEMBER, "member:manage", "token:manage", "audit:read"];
// org:manage (rename, transfer ownership) and org:delete are the OWNER's alone.
const OWNER: Permission[] = [...ADMIN, "org:manage", "org:delete"];

const GRANTS: Record<Role, ReadonlySet<Permission>> = {
  VIEWER: new Set(VIEWER),
  MEMBER: new Set(MEMBER),
  ADMIN: new Set(ADMIN),
  OWNER: new Set(OWNER),
};

export function roleCan(role: Role, permission: Permission): boolean {
  return GRANTS[role].has(permission);
}
