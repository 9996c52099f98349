-- Team features (issue 20): tags, notes and archive on studies, tags and notes on trials, and named
-- comparisons shared in the org.
ALTER TABLE "Study" ADD COLUMN "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN "note" TEXT,
ADD COLUMN "archivedAt" TIMESTAMP(3);

ALTER TABLE "Trial" ADD COLUMN "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN "note" TEXT;

CREATE TABLE "Comparison" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "studyIds" TEXT[],
    "options" JSONB NOT NULL DEFAULT '{}',
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Comparison_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "Comparison_orgId_createdAt_idx" ON "Comparison"("orgId", "createdAt");
CREATE UNIQUE INDEX "Comparison_orgId_name_key" ON "Comparison"("orgId", "name");

ALTER TABLE "Comparison" ADD CONSTRAINT "Comparison_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;
