-- Card numbers are no longer kept: an order's saga and its payment.authorize command carry the
-- payment provider's token and the last four digits instead. This forgets the numbers already stored.

-- Sagas: the number goes, the last four digits come from the order. A saga that has not yet
-- authorized is left without a token, and its payment is declined (the card was forgotten).
UPDATE sagas s
SET data = (s.data - 'cardNumber') || jsonb_build_object('paymentToken', NULL, 'cardLast4', o.card_last4)
FROM orders o
WHERE o.id = s.order_id AND s.data ? 'cardNumber';

-- The outbox: payment.authorize of version 1 carried the number. One still unsent cannot be
-- honoured without it: it is marked sent without being sent, and the saga's deadline cancels
-- its order.
UPDATE outbox
SET envelope = envelope #- '{data,cardNumber}', published_at = coalesce(published_at, now())
WHERE type = 'payment.authorize' AND envelope->'data' ? 'cardNumber';

-- Idempotency keys: the hash covered the request with its card number, which trying every
-- number could recover. It is forgotten, and a retry with such a key gets its order back
-- whatever its body (FORGOTTEN_REQUEST_HASH).
UPDATE idempotency_keys SET request_hash = 'forgotten';

-- The order-history read model is rebuilt from orders' own events, which the outbox now keeps
-- past its retention (Messaging.keep); the rest of the outbox is deleted once old.
UPDATE outbox SET kept = true
WHERE type IN ('order.placed', 'order.confirmed', 'order.cancelled', 'order.shipped', 'order.delivered');

-- Status streams held open, one row each, so a user's streams are counted across replicas. A
-- replica renews its rows while their streams are open; a row not renewed (its replica died)
-- lapses at `expires_at`.
CREATE TABLE order_streams (
  id         uuid PRIMARY KEY,
  user_id    uuid NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX order_streams_user_idx ON order_streams (user_id);
CREATE INDEX order_streams_expires_idx ON order_streams (expires_at);
