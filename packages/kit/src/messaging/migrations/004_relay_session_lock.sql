-- The relay's turn is a PostgreSQL session lock now (see relay.ts): a crashed holder frees it at
-- once, where this lease kept every other replica waiting until it ran out.
DROP TABLE IF EXISTS outbox_relay_lease;
