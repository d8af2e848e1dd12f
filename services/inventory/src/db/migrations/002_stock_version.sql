-- Every change of a product's stock bumps its version in the same statement, and stock.changed
-- carries it, so a consumer applies an event only if it is newer than the last it applied (a
-- redelivery of an older event after a newer one then changes nothing).
ALTER TABLE stock ADD COLUMN version bigint NOT NULL DEFAULT 1 CHECK (version >= 1);
