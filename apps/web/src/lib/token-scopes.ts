/**
 * The scopes an API token can carry; each maps onto one permission (server/trpc.ts `scopeFor`). Here,
 * free of server imports, so the tokens page offers exactly these.
 */
export const TOKEN_SCOPES = [
  "studies:read",
  "studies:write",
  "trials:write",
  "datasets:write",
  "exports:read",
  "members:read",
] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];
