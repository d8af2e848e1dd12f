-- Attempt counters, shared by every replica, for sign-in (per account and address, per account,
-- per address) and registration (per address). They replace login_throttle, whose counts are
-- short-lived and not worth carrying over. last_attempt_at is the latest charge (backoff waits
-- from it); a row whose expires_at has passed counts as empty and is purged periodically.
DROP TABLE login_throttle;
CREATE TABLE throttle (
  key text PRIMARY KEY,
  attempts integer NOT NULL CHECK (attempts >= 0),
  last_attempt_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX throttle_expires_idx ON throttle (expires_at);

-- The addresses each account signed in from (or registered from), so failures spread over many
-- other addresses never hold back the owner's usual one. Purged once unused for long enough.
CREATE TABLE sign_in_addresses (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  address text NOT NULL,
  last_signed_in_at timestamptz NOT NULL,
  PRIMARY KEY (user_id, address)
);
CREATE INDEX sign_in_addresses_last_idx ON sign_in_addresses (last_signed_in_at);

-- A disabled account can no longer sign in (development accounts found in production).
ALTER TABLE users ADD COLUMN disabled_at timestamptz;
