-- The version of inventory's stock.changed last applied to stock_available: an event whose
-- version is not higher is stale and changes nothing. 0: none applied yet (the initial stock,
-- or only events from before versions, which are applied as long as it stays 0).
ALTER TABLE products ADD COLUMN stock_version bigint NOT NULL DEFAULT 0 CHECK (stock_version >= 0);
