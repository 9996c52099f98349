import { orgProcedure, router } from "../../trpc";
import { deleteDatasetHandler, getDatasetHandler, listDatasetsHandler } from "./list.handler";
import { uploadDatasetHandler, uploadTheoryFilesHandler } from "./upload.handler";
import { ZDatasetRef, ZUploadDataset, ZUploadTheoryFiles } from "./upload.schema";

export const datasetRouter = router({
  list: orgProcedure("dataset:read").query(({ ctx }) => listDatasetsHandler({ ctx })),
  get: orgProcedure("dataset:read")
    .input(ZDatasetRef)
    .query(({ ctx, input }) => getDatasetHandler({ ctx, input })),
  upload: orgProcedure("dataset:write")
    .input(ZUploadDataset)
    .mutation(({ ctx, input }) => uploadDatasetHandler({ ctx, input })),
  /** A theory as files (REST multipart only: the body is bytes, which tRPC's JSON cannot carry). */
  uploadTheoryFiles: orgProcedure("dataset:write")
    .input(ZUploadTheoryFiles)
    .mutation(async ({ ctx, input }) =>
      "authorizeOnly" in input ? null : await uploadTheoryFilesHandler({ ctx, input }),
    ),
  delete: orgProcedure("dataset:write")
    .input(ZDatasetRef)
    .mutation(({ ctx, input }) => deleteDatasetHandler({ ctx, input })),
});
