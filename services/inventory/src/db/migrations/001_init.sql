-- Stock per product and the reservations that hold it. Runs unchanged on PostgreSQL 15+ and PGlite.

CREATE TABLE stock (
  -- Catalog's product id; no foreign key, since products live in another service's database.
  product_id      uuid PRIMARY KEY,
  available       bigint NOT NULL CHECK (available >= 0),
  reserved        bigint NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  sold            bigint NOT NULL DEFAULT 0 CHECK (sold >= 0),
  -- Initial stock plus every restock (an admin's change to available moves it by the same delta).
  received        bigint NOT NULL CHECK (received >= 0),
  -- Set when catalog deletes the product: later reservations of it fail.
  discontinued_at timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  -- I3, kept by the database itself: no code path can create or lose a unit.
  CONSTRAINT stock_conserved CHECK (received = available + reserved + sold)
);

-- One per order: the order id is the idempotency key of every saga command.
CREATE TABLE reservations (
  order_id   uuid PRIMARY KEY,
  id         uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
  status     text NOT NULL CHECK (status IN ('held', 'committed', 'released', 'failed')),
  -- failed: out-of-stock or unknown-product; released: the release command's reason, or 'reservation expired'.
  reason     text,
  -- Released by the expiry sweep rather than by a command (a later commit may take the stock again).
  expired    boolean NOT NULL DEFAULT false,
  -- Null for a failed reservation and for a release that arrived before any reserve (a tombstone).
  expires_at timestamptz,
  -- The shortages of a failed reservation, so a repeated command gets the same answer.
  shortages  jsonb NOT NULL DEFAULT '[]',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The lines of a reservation as the order gave them (a product may appear on several lines).
CREATE TABLE reservation_lines (
  order_id   uuid NOT NULL REFERENCES reservations (order_id),
  line_no    integer NOT NULL,
  product_id uuid NOT NULL,
  quantity   integer NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (order_id, line_no)
);

-- The expiry sweep's work list.
CREATE INDEX reservations_held_expiry_idx ON reservations (expires_at) WHERE status = 'held';
