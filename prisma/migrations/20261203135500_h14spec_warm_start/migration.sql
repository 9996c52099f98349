-- Warm start (issue 14): another study's completed trials, copied at creation, seed the sampler's history.
ALTER TABLE "Study" ADD COLUMN "warmStart" JSONB;
