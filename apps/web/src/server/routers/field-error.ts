import { type TRPC_ERROR_CODE_KEY, TRPCError } from "@trpc/server";
import { type ZodError, z } from "zod";

/**
 * A ZodError carrying `issues`. Made by a failing parse, not `new ZodError()`: zod 4's constructor
 * alone does not produce an `Error` instance, and tRPC would then wrap it out of recognition.
 */
function zodErrorOf(issues: { path: (string | number)[]; message: string }[]): ZodError {
  const failing = z.unknown().superRefine((_value, ctx) => {
    for (const issue of issues) ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
  });
  const result = failing.safeParse(undefined);
  if (result.success) throw new Error("zodErrorOf: no issues given");
  return result.error;
}

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
  const cause = zodErrorOf(issues);
  const first = issues[0];
  const message = first ? `${first.path.join(".") || "(input)"}: ${first.message}` : "invalid input";
  return new TRPCError({ code, message, cause });
}

/** Prisma's unique-constraint violation (P2002). */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "P2002";
}
