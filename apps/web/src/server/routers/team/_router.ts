import { orgProcedure, router } from "../../trpc";
import {
  archiveStudyHandler,
  noteStudyHandler,
  noteTrialHandler,
  studyTagsHandler,
  tagStudyHandler,
  tagTrialHandler,
} from "./handlers";
import { ZArchiveStudy, ZNoteStudy, ZNoteTrial, ZTagStudy, ZTagTrial } from "./schema";

// Team features (issue 20): viewers read tags and notes (with the study), members write them.
export const teamRouter = router({
  tagStudy: orgProcedure("study:write")
    .input(ZTagStudy)
    .mutation(({ ctx, input }) => tagStudyHandler({ ctx, input })),
  noteStudy: orgProcedure("study:write")
    .input(ZNoteStudy)
    .mutation(({ ctx, input }) => noteStudyHandler({ ctx, input })),
  archiveStudy: orgProcedure("study:write")
    .input(ZArchiveStudy)
    .mutation(({ ctx, input }) => archiveStudyHandler({ ctx, input })),
  tagTrial: orgProcedure("study:write")
    .input(ZTagTrial)
    .mutation(({ ctx, input }) => tagTrialHandler({ ctx, input })),
  noteTrial: orgProcedure("study:write")
    .input(ZNoteTrial)
    .mutation(({ ctx, input }) => noteTrialHandler({ ctx, input })),
  studyTags: orgProcedure("study:read").query(({ ctx }) => studyTagsHandler({ ctx })),
});
