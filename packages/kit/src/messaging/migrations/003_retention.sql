-- Retention: published outbox rows and inbox records are deleted once they are old enough
-- (src/messaging/retention.ts). A service may keep some of its own event types for good, as the
-- log its read models are rebuilt from: those rows are marked `kept` when written.
ALTER TABLE outbox ADD COLUMN kept boolean NOT NULL DEFAULT false;
CREATE INDEX outbox_expiring ON outbox (created_at) WHERE NOT kept;
CREATE INDEX inbox_handled ON inbox (handled_at);
