import { orgProcedure, router } from "../../trpc";
import { deleteDatasetHandler, getDatasetHandler, listDatasetsHandler } from "./list.handler";
import { uploadDatasetHandler } from "./upload.handler";
import { ZDatasetRef, ZUploadDataset } from "./upload.schema";

export const datasetRouter = router({
  list: orgProcedure("dataset:read").query(({ ctx }) => listDatasetsHandler({ ctx })),
  get: orgProcedure("dataset:read")
    .input(ZDatasetRef)
    .query(({ ctx, input }) => getDatasetHandler({ ctx, input })),
  upload: orgProcedure("dataset:write")
    .input(ZUploadDataset)
    .mutation(({ ctx, input }) => uploadDatasetHandler({ ctx, input })),
  delete: orgProcedure("dataset:write")
    .input(ZDatasetRef)
    .mutation(({ ctx, input }) => deleteDatasetHandler({ ctx, input })),
});
