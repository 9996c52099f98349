-- Final fits (issue 16): a study's selected configuration trained with R replicas, then post-fit selection.
CREATE TYPE "FitState" AS ENUM ('QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED');

CREATE TABLE "Fit" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "studyId" TEXT NOT NULL,
    "ownerId" TEXT NOT NULL,
    "trialId" TEXT,
    "trialNumber" INTEGER NOT NULL,
    "params" JSONB NOT NULL,
    "replicas" INTEGER NOT NULL,
    "state" "FitState" NOT NULL DEFAULT 'QUEUED',
    "progress" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "runnerId" TEXT,
    "runnerSeconds" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "postfitRule" JSONB NOT NULL,
    "kept" INTEGER,
    "discarded" INTEGER,
    "outcome" JSONB,
    "artifact" JSONB,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Fit_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "Fit_orgId_studyId_createdAt_idx" ON "Fit"("orgId", "studyId", "createdAt");
CREATE INDEX "Fit_state_createdAt_idx" ON "Fit"("state", "createdAt");

ALTER TABLE "Fit" ADD CONSTRAINT "Fit_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Fit" ADD CONSTRAINT "Fit_studyId_fkey" FOREIGN KEY ("studyId") REFERENCES "Study"("id") ON DELETE CASCADE ON UPDATE CASCADE;
