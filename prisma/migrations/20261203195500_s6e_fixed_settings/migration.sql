-- Fixed settings (issue 14): hyperparameters set for every trial of a study without being searched.
ALTER TABLE "Study" ADD COLUMN "fixed" JSONB NOT NULL DEFAULT '{}';
