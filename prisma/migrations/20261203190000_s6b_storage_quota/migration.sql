-- Per-organisation storage quota (issue 19): bytes the organisation may store, null = HENS_ORG_MAX_STORAGE_BYTES.
-- DOUBLE PRECISION, like the compute limits: an INTEGER stops at 2 GiB, and doubles are exact to 2^53 bytes.
ALTER TABLE "OrgLimits" ADD COLUMN "maxStorageBytes" DOUBLE PRECISION;
