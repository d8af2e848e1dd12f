-- Card numbers are no longer kept anywhere in payments: a command names the card by the
-- provider's token, and the worker hands that token to the provider.

-- The fake payment provider's vault, touched only by src/provider/fake-provider.ts. Like
-- provider_ledger, it stands in for the provider's side of the world, and lives here so that
-- any replica can use a token. It keeps what the fake's issuer answers for the card (decided
-- from the number when it was tokenized) and what may be shown, never the number.
CREATE TABLE provider_vault (
  token      text PRIMARY KEY,
  verdict    text NOT NULL CHECK (verdict IN ('approve', 'card_declined', 'insufficient_funds', 'hang')),
  last4      text NOT NULL,
  brand      text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- After this the token is refused; expired tokens are deleted in the background.
  expires_at timestamptz NOT NULL
);
CREATE INDEX provider_vault_expires_idx ON provider_vault (expires_at);

-- An open authorize task carries the token instead of the number. Dropping the column forgets
-- every number still stored (and its CHECK with it); an authorization still open at the upgrade
-- has no token, and the worker declines it.
ALTER TABLE payment_tasks DROP COLUMN card_number;
ALTER TABLE payment_tasks ADD COLUMN payment_token text;
ALTER TABLE payment_tasks ADD CHECK (payment_token IS NULL OR (kind = 'authorize' AND done_at IS NULL));

-- Commands of version 1 that could not be handled kept their card number in their dead letter
-- (the envelope may not even be JSON, so it is blanked as text).
UPDATE dead_letters
SET envelope = regexp_replace(envelope, '"cardNumber"\s*:\s*"[^"]*"', '"cardNumber":null', 'g')
WHERE type = 'payment.authorize';
