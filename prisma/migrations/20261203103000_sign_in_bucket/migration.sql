-- CreateTable
CREATE TABLE "SignInBucket" (
    "key" TEXT NOT NULL,
    "tokens" DOUBLE PRECISION NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "fullAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "SignInBucket_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "SignInBucket_fullAt_idx" ON "SignInBucket"("fullAt");
