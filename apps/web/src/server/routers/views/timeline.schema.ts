import { ZStudyRef } from "../study/create.schema";

export const ZStudyTimeline = ZStudyRef;
