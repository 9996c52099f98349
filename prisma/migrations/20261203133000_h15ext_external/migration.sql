-- External trials (issue 15): a study's executor, and each trial's lease and tell digest.
ALTER TABLE "Study" ADD COLUMN "executor" TEXT NOT NULL DEFAULT 'runner';
ALTER TABLE "Trial" ADD COLUMN "leaseId" TEXT,
ADD COLUMN "leaseExpiresAt" TIMESTAMP(3),
ADD COLUMN "worker" TEXT,
ADD COLUMN "tellDigest" TEXT,
ADD COLUMN "values" DOUBLE PRECISION[];
