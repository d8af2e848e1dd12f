-- The messages sent to users. Runs unchanged on PostgreSQL 15+ and PGlite.

CREATE TABLE notifications (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Identity's user id; no foreign key, since users live in another service's database.
  user_id    uuid NOT NULL,
  channel    text NOT NULL CHECK (channel IN ('email')),
  recipient  text NOT NULL,
  template   text NOT NULL,
  subject    text NOT NULL,
  body       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Null while delivery is pending; set at insert until an email sender exists.
  sent_at    timestamptz
);

-- A user's own messages, newest first.
CREATE INDEX notifications_user_created_idx ON notifications (user_id, created_at DESC, id DESC);
