import type { SearchSpaceError } from "@hyperensemble/engine/search";
import {
  type CreateStudySpec,
  createStudy,
  FixedSettingsError,
  StudyInputError,
  StudyLimitError,
} from "@hyperensemble/platform";
import type { OrgContext } from "../../context-types";
import { fieldError, fieldErrors } from "../field-error";

export async function createStudyHandler({ ctx, input }: { ctx: OrgContext; input: CreateStudySpec }) {
  try {
    const study = await createStudy(ctx.db, ctx.enqueuer, {
      orgId: ctx.org.id,
      ownerId: ctx.user.id,
      spec: input,
    });
    await ctx.db.auditEvent.create({
      data: { orgId: ctx.org.id, actorId: ctx.user.id, action: "study.create", target: study.id },
    });
    return { id: study.id };
  } catch (err) {
    // Over a quota or limit: a 400 naming the field, like any invalid input.
    if (err instanceof StudyInputError || err instanceof StudyLimitError) {
      throw fieldError(err.field.split("."), err.message.slice(err.field.length + 2));
    }
    // Each fixed setting at fault under its own path (fixed.<name>).
    if (err instanceof FixedSettingsError) throw fieldErrors(err.issues);
    if (err instanceof Error && err.name === "SearchSpaceError") {
      // Each problem under its own field (searchSpace.<name>...), as a schema failure would be.
      throw fieldErrors(
        (err as SearchSpaceError).fields.map((i) => ({
          path: ["searchSpace", ...(i.path === "(document)" ? [] : i.path.split("."))],
          message: i.message,
        })),
      );
    }
    throw err;
  }
}
