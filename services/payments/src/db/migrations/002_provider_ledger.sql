-- The fake payment provider's own ledger, touched only by src/provider/fake-provider.ts. It
-- stands in for the provider's side of the world: it lives here only so that it survives a
-- restart. Each row is one answered request, keyed by its idempotency key.
CREATE TABLE provider_ledger (
  idempotency_key text PRIMARY KEY,
  operation       text NOT NULL CHECK (operation IN ('authorize', 'capture', 'void', 'refund')),
  -- The authorization the request belongs to (for an authorize, the one it created).
  reference       text NOT NULL,
  amount          bigint NOT NULL,
  currency        text NOT NULL,
  succeeded       boolean NOT NULL,
  card_last4      text,
  -- The answer given, returned again for a repeated key.
  answer          jsonb NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX provider_ledger_reference_idx ON provider_ledger (reference);
