-- Payments and the provider work still to do for them. Runs unchanged on PostgreSQL 15+ and PGlite.

-- One payment per order. A cancel that arrives before any authorize leaves a tombstone: a voided
-- payment with no user, amount 0 USD and no card, so that a late authorize finds it and does nothing.
CREATE TABLE payments (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  order_id           uuid NOT NULL UNIQUE,
  -- Identity's user id; null only on a tombstone. No foreign key: users live in another service.
  user_id            uuid,
  amount             bigint NOT NULL CHECK (amount >= 0),
  currency           text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  status             text NOT NULL CHECK (status IN ('pending', 'authorized', 'declined', 'captured', 'voided', 'refunded')),
  card_last4         text NOT NULL,
  decline_code       text CHECK (decline_code IN ('card_declined', 'insufficient_funds', 'provider_unavailable')),
  decline_message    text,
  provider_reference text,
  refunded_amount    bigint NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0 AND refunded_amount <= amount),
  -- Set when the saga asked to leave no charge; the worker finishes the cancel after a capture in flight.
  cancel_reason      text,
  refund_reason      text,
  refunded_by_admin  boolean,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);

-- A user's payments, newest first; and everyone's, for admins.
CREATE INDEX payments_user_created_idx ON payments (user_id, created_at DESC, id DESC);
CREATE INDEX payments_created_idx ON payments (created_at DESC, id DESC);

-- Provider calls still to make. At most one is open per payment, so the calls for one payment
-- never overlap; finished tasks stay (done_at set) as the payment's history.
CREATE TABLE payment_tasks (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  payment_id      uuid NOT NULL REFERENCES payments (id),
  kind            text NOT NULL CHECK (kind IN ('authorize', 'capture', 'void', 'refund')),
  -- Claims so far; a claim counts before the call, so a crash mid-call still counts.
  attempts        integer NOT NULL DEFAULT 0,
  -- When the task is due; a claim pushes it forward as the lease.
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  -- Set by each claim; only the holder of the latest lease may apply a result.
  lease           uuid,
  last_error      text,
  -- Only for an open authorize: the provider needs it, and it is cleared when the task is done.
  card_number     text,
  amount          bigint,
  reason          text,
  by_admin        boolean NOT NULL DEFAULT false,
  outcome         text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  done_at         timestamptz,
  UNIQUE (payment_id, kind),
  CHECK (card_number IS NULL OR (kind = 'authorize' AND done_at IS NULL))
);

CREATE UNIQUE INDEX payment_tasks_one_open_idx ON payment_tasks (payment_id) WHERE done_at IS NULL;
CREATE INDEX payment_tasks_due_idx ON payment_tasks (next_attempt_at) WHERE done_at IS NULL;
