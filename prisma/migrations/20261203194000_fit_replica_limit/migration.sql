-- A per-organisation limit on a final fit's replicas (HENS_FIT_MAX_REPLICAS by default).
ALTER TABLE "OrgLimits" ADD COLUMN "maxFitReplicas" INTEGER;
