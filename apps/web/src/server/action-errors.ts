import { TRPCError } from "@trpc/server";
import { ZodError } from "zod";

/** What a signed-out page's form shows for a failed action: the field's message, or the error's. */
export function actionErrorMessage(err: unknown): string | null {
  if (err instanceof ZodError) {
    const issue = err.issues[0];
    return issue ? `${issue.path.join(".") || "input"}: ${issue.message}` : "invalid input";
  }
  if (err instanceof TRPCError) {
    if (err.cause instanceof ZodError) return actionErrorMessage(err.cause);
    return err.message;
  }
  return null;
}
