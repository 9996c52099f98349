-- Quotas and limits (issue 13): per-organisation overrides, and a per-study trial time limit.
ALTER TABLE "Study" ADD COLUMN "maxTrialSeconds" INTEGER;

CREATE TABLE "OrgLimits" (
    "orgId" TEXT NOT NULL,
    "maxActiveTrials" INTEGER,
    "maxParallelism" INTEGER,
    "maxTrialsPerStudy" INTEGER,
    "maxTrialCompute" DOUBLE PRECISION,
    "maxStudyCompute" DOUBLE PRECISION,
    "maxTrialSeconds" INTEGER,
    "maxStudyWallSeconds" INTEGER,
    "maxStudyGpuSeconds" INTEGER,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "OrgLimits_pkey" PRIMARY KEY ("orgId")
);

ALTER TABLE "OrgLimits" ADD CONSTRAINT "OrgLimits_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;
