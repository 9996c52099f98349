-- Push (issue 15): a persisted event log written by triggers, and per-org webhooks with deliveries.

CREATE TABLE "EventLog" (
    "id" BIGSERIAL NOT NULL,
    "orgId" TEXT NOT NULL,
    "studyId" TEXT,
    "type" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "EventLog_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "EventLog_orgId_id_idx" ON "EventLog"("orgId", "id");
CREATE INDEX "EventLog_studyId_id_idx" ON "EventLog"("studyId", "id");
CREATE INDEX "EventLog_createdAt_idx" ON "EventLog"("createdAt");

CREATE TABLE "Webhook" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "secret" TEXT NOT NULL,
    "events" TEXT[],
    "description" TEXT NOT NULL DEFAULT '',
    "createdBy" TEXT NOT NULL,
    "cursor" BIGINT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Webhook_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "Webhook_orgId_idx" ON "Webhook"("orgId");
ALTER TABLE "Webhook" ADD CONSTRAINT "Webhook_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "WebhookDelivery" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "webhookId" TEXT NOT NULL,
    "eventId" BIGINT NOT NULL,
    "eventType" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastStatus" INTEGER,
    "lastError" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deliveredAt" TIMESTAMP(3),

    CONSTRAINT "WebhookDelivery_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "WebhookDelivery_webhookId_eventId_key" ON "WebhookDelivery"("webhookId", "eventId");
CREATE INDEX "WebhookDelivery_state_nextAttemptAt_idx" ON "WebhookDelivery"("state", "nextAttemptAt");
CREATE INDEX "WebhookDelivery_orgId_webhookId_createdAt_idx" ON "WebhookDelivery"("orgId", "webhookId", "createdAt");
ALTER TABLE "WebhookDelivery" ADD CONSTRAINT "WebhookDelivery_webhookId_fkey" FOREIGN KEY ("webhookId") REFERENCES "Webhook"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- One writer of the log. The triggers below are DEFERRED constraint triggers: they run while the
-- writing transaction commits, and the advisory lock is held from there to the end of the commit,
-- so ids are handed out in commit order. A reader that has seen id N will never later see a
-- smaller id appear: resuming "after N" (Last-Event-ID, a webhook cursor) misses no event. The lock
-- is held only for the commit itself, never across a transaction's work.
CREATE FUNCTION hens_emit_event(p_org TEXT, p_study TEXT, p_type TEXT, p_payload JSONB) RETURNS VOID
LANGUAGE plpgsql AS $$
DECLARE
  new_id BIGINT;
BEGIN
  PERFORM pg_advisory_xact_lock(7215001500);
  INSERT INTO "EventLog" ("orgId", "studyId", "type", "payload")
  VALUES (p_org, p_study, p_type, p_payload)
  RETURNING "id" INTO new_id;
  -- The wake-up for live readers (apps/web/src/server/events.ts); the log stays the source of truth.
  PERFORM pg_notify('hens_events', json_build_object(
    'orgId', p_org, 'studyId', p_study, 'kind', split_part(p_type, '.', 1), 'id', new_id, 'type', p_type
  )::text);
END;
$$;

CREATE FUNCTION hens_trial_event() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
DECLARE
  kind TEXT;
  body JSONB;
  res RECORD;
BEGIN
  kind := CASE NEW."state"
    WHEN 'RUNNING' THEN 'trial.started'
    WHEN 'COMPLETE' THEN 'trial.completed'
    WHEN 'PRUNED' THEN 'trial.pruned'
    WHEN 'FAIL' THEN 'trial.failed'
    ELSE 'trial.waiting'
  END;
  body := jsonb_build_object('trialId', NEW."id", 'number', NEW."number", 'state', NEW."state",
    'attempt', NEW."attempt");
  IF NEW."state" = 'COMPLETE' THEN
    -- Deferred to commit: the result written later in the same transaction is visible here.
    SELECT "value", "L1", "L2", "L3", "phi2" INTO res FROM "TrialResult" WHERE "trialId" = NEW."id";
    IF FOUND THEN
      body := body || jsonb_build_object('value', res."value", 'L1', res."L1", 'L2', res."L2",
        'L3', res."L3", 'phi2', res."phi2");
    END IF;
  ELSIF NEW."state" = 'FAIL' THEN
    body := body || jsonb_build_object('error', left(NEW."error", 500));
  END IF;
  PERFORM hens_emit_event(NEW."orgId", NEW."studyId", kind, body);
  RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER hens_trial_event AFTER UPDATE ON "Trial"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (OLD."state" IS DISTINCT FROM NEW."state")
  EXECUTE FUNCTION hens_trial_event();

CREATE FUNCTION hens_report_event() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
DECLARE
  t RECORD;
BEGIN
  SELECT "studyId", "number" INTO t FROM "Trial" WHERE "id" = NEW."trialId";
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  PERFORM hens_emit_event(NEW."orgId", t."studyId", 'trial.reported', jsonb_build_object(
    'trialId', NEW."trialId", 'number', t."number", 'step', NEW."step", 'value', NEW."value",
    'attempt', NEW."attempt"));
  RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER hens_report_event AFTER INSERT ON "IntermediateValue"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  EXECUTE FUNCTION hens_report_event();

CREATE FUNCTION hens_study_event() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM hens_emit_event(NEW."orgId", NEW."id", 'study.state', jsonb_build_object(
    'studyId', NEW."id", 'name', NEW."name", 'state', NEW."state",
    'previous', CASE WHEN TG_OP = 'UPDATE' THEN OLD."state"::TEXT END));
  RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER hens_study_event_insert AFTER INSERT ON "Study"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  EXECUTE FUNCTION hens_study_event();
CREATE CONSTRAINT TRIGGER hens_study_event_update AFTER UPDATE ON "Study"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (OLD."state" IS DISTINCT FROM NEW."state")
  EXECUTE FUNCTION hens_study_event();
