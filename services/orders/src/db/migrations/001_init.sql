-- The orders service's tables. Runs unchanged on PostgreSQL 15+ and PGlite.

-- Products as the catalog's events describe them: orders are priced from here, never by calling the catalog.
CREATE TABLE products (
  product_id   uuid PRIMARY KEY,
  name         text NOT NULL,
  price_amount bigint NOT NULL CHECK (price_amount >= 0),
  currency     text NOT NULL,
  deleted      boolean NOT NULL DEFAULT false,
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- The write model: one row per order, changed only by the checkout saga and the order's own transitions.
CREATE TABLE orders (
  id                  uuid PRIMARY KEY,
  user_id             uuid NOT NULL,
  email               text NOT NULL,
  status              text NOT NULL CHECK (status IN ('PENDING', 'CONFIRMED', 'SHIPPED', 'DELIVERED', 'CANCELLED')),
  items               jsonb NOT NULL,
  total_amount        bigint NOT NULL CHECK (total_amount > 0),
  currency            text NOT NULL,
  shipping_address    jsonb NOT NULL,
  card_last4          text NOT NULL,
  from_cart           boolean NOT NULL,
  payment_id          uuid,
  payment_status      text,
  shipment_id         uuid,
  shipment_status     text,
  tracking_number     text,
  carrier             text,
  cancellation_reason text,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_user_created_idx ON orders (user_id, created_at DESC, id DESC);
CREATE INDEX orders_status_created_idx ON orders (status, created_at DESC);

-- I6: a key names one order of one user; a retry with the same key and body returns it.
CREATE TABLE idempotency_keys (
  user_id      uuid NOT NULL,
  key          text NOT NULL,
  request_hash text NOT NULL,
  order_id     uuid NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, key)
);

-- The checkout saga's state. `deadline_at` is its durable timer: a background task finds the
-- sagas whose deadline passed, whichever replica and whenever it starts.
CREATE TABLE sagas (
  id            uuid PRIMARY KEY,
  order_id      uuid NOT NULL UNIQUE REFERENCES orders (id),
  status        text NOT NULL CHECK (status IN ('RUNNING', 'COMPENSATING', 'COMPLETED', 'COMPENSATED', 'FAILED')),
  step          text NOT NULL,
  completed     text[] NOT NULL DEFAULT '{}',
  compensations text[] NOT NULL DEFAULT '{}',
  data          jsonb NOT NULL,
  reason        text,
  deadline_at   timestamptz,
  attempts      integer NOT NULL DEFAULT 0,
  last_error    text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sagas_deadline_idx ON sagas (deadline_at) WHERE status IN ('RUNNING', 'COMPENSATING');
CREATE INDEX sagas_status_idx ON sagas (status, updated_at DESC);

-- Each saga's timeline, for the console.
CREATE TABLE saga_log (
  seq     bigserial PRIMARY KEY,
  saga_id uuid NOT NULL REFERENCES sagas (id),
  step    text NOT NULL,
  action  text NOT NULL,
  detail  text,
  at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX saga_log_saga_idx ON saga_log (saga_id, seq);

-- The order-history read model: one row per status change, projected from orders' own events
-- and rebuilt from the outbox, which keeps every event orders ever published.
CREATE TABLE order_history (
  event_id uuid PRIMARY KEY,
  order_id uuid NOT NULL,
  status   text NOT NULL,
  note     text,
  at       timestamptz NOT NULL
);
CREATE INDEX order_history_order_idx ON order_history (order_id, at, event_id);
