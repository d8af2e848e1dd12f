-- The kit's messaging tables, in every service's own schema.

-- Events written in the same transaction as the state change they describe (the outbox).
CREATE TABLE outbox (
  seq          bigserial PRIMARY KEY,
  id           uuid NOT NULL UNIQUE,
  type         text NOT NULL,
  subject      text NOT NULL,
  envelope     jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;

-- One relay at a time publishes a service's outbox, so rows go out once and in order.
CREATE TABLE outbox_relay_lease (
  name       text PRIMARY KEY,
  holder     text NOT NULL,
  expires_at timestamptz NOT NULL
);

-- Events a subscription has handled, recorded in the same transaction as the handler's effect.
CREATE TABLE inbox (
  event_id   uuid NOT NULL,
  purpose    text NOT NULL,
  handled_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, purpose)
);

-- Messages a subscription could not handle, kept for inspection and replay.
CREATE TABLE dead_letters (
  id          uuid PRIMARY KEY,
  event_id    text NOT NULL,
  purpose     text NOT NULL,
  type        text NOT NULL,
  subject     text NOT NULL,
  envelope    text NOT NULL,
  reason      text NOT NULL CHECK (reason IN ('failed', 'invalid')),
  error       text NOT NULL,
  attempts    integer NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  replayed_at timestamptz,
  -- One letter per event and subscription: a redelivered failure updates it instead of adding one.
  UNIQUE (event_id, purpose)
);
CREATE INDEX dead_letters_open ON dead_letters (created_at) WHERE replayed_at IS NULL;
