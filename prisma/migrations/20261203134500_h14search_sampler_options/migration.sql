-- Sampler and scheduler options (issue 14): each validated by its registry entry in the engine.
ALTER TABLE "Study" ADD COLUMN "samplerOptions" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN "samplerChoice" JSONB,
ADD COLUMN "schedulerOptions" JSONB NOT NULL DEFAULT '{}';
