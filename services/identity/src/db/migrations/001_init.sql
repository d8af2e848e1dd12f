-- Users with their credentials and roles. Emails are stored lowercased, so UNIQUE is case-insensitive.
CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL UNIQUE CHECK (email = lower(email)),
  name text NOT NULL,
  password_hash text NOT NULL,
  roles text[] NOT NULL CHECK (cardinality(roles) > 0 AND roles <@ ARRAY['customer', 'admin']::text[]),
  created_at timestamptz NOT NULL DEFAULT now()
);

-- The signing key generated outside production. One fixed slot, so replicas that start
-- together agree on a single key (INSERT ... ON CONFLICT DO NOTHING, then read back).
CREATE TABLE signing_keys (
  slot text PRIMARY KEY,
  kid text NOT NULL,
  private_jwk jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Sign-in attempts per key ('email:<address>' or 'ip:<address>') in a fixed window, shared by
-- every replica. A row whose window has passed counts as empty and is purged periodically.
CREATE TABLE login_throttle (
  key text PRIMARY KEY,
  attempts integer NOT NULL CHECK (attempts >= 0),
  window_started_at timestamptz NOT NULL
);
CREATE INDEX login_throttle_window_idx ON login_throttle (window_started_at);
