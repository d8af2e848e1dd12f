-- The shipments of orders. Runs unchanged on PostgreSQL 15+ and PGlite.

CREATE TABLE shipments (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- One row per order, whatever arrives first: the unique key serializes schedule and cancel.
  order_id            uuid NOT NULL UNIQUE,
  -- Identity's user id; no foreign key across services. Null only on a tombstone: a cancel
  -- that arrived before its schedule, kept so that the late schedule does nothing.
  user_id             uuid,
  status              text NOT NULL CHECK (status IN ('scheduled', 'dispatched', 'delivered', 'cancelled')),
  service             text NOT NULL CHECK (service IN ('standard', 'express')),
  carrier             text NOT NULL,
  -- '' on a tombstone, which never had one.
  tracking_number     text NOT NULL,
  address             jsonb,
  items               jsonb,
  estimated_delivery  date,
  cancellation_reason text,
  created_at          timestamptz NOT NULL DEFAULT now(),
  dispatched_at       timestamptz,
  delivered_at        timestamptz,
  cancelled_at        timestamptz,
  CHECK (user_id IS NOT NULL OR status = 'cancelled'),
  CHECK (user_id IS NULL OR (address IS NOT NULL AND items IS NOT NULL AND estimated_delivery IS NOT NULL AND tracking_number <> ''))
);

CREATE UNIQUE INDEX shipments_tracking_number_key ON shipments (tracking_number) WHERE tracking_number <> '';

-- A customer's own shipments, newest first.
CREATE INDEX shipments_user_created_idx ON shipments (user_id, created_at DESC, id DESC);

-- Every shipment, newest first, for admins (optionally by status).
CREATE INDEX shipments_created_idx ON shipments (created_at DESC, id DESC);
