import { type TRPC_ERROR_CODE_KEY, TRPCError } from "@trpc/server";
import { ZodError } from "zod";

/**
 * A TRPCError naming the field at fault. The cause is a ZodError so that the tRPC error formatter
 * and the REST layer both report it in `fieldErrors`, exactly like a schema failure.
 */
export function fieldError(
  path: (string | number)[],
  message: string,
  code: TRPC_ERROR_CODE_KEY = "BAD_REQUEST",
): TRPCError {
  return fieldErrors([{ path, message }], code);
}

export function fieldErrors(
  issues: { path: (string | number)[]; message: string }[],
  code: TRPC_ERROR_CODE_KEY = "BAD_REQUEST",
): TRPCError {
  const cause = new ZodError(
    issues.map((i) => ({ code: "custom" as const, path: i.path, message: i.message, input: undefined })),
  );
  const first = issues[0];
  const message = first ? `${first.path.join(".") || "(input)"}: ${first.message}` : "invalid input";
  return new TRPCError({ code, message, cause });
}

/** Prisma's unique-constraint violation (P2002). */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "P2002";
}
