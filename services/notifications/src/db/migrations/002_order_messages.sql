-- Messages about orders. Runs unchanged on PostgreSQL 15+ and PGlite.

-- The order a message is about; null for messages about no order (the welcome).
ALTER TABLE notifications ADD COLUMN order_id uuid;

-- One message of each kind per order. The inbox already stores one per event; this also holds
-- if orders ever published the same change twice under two event ids.
CREATE UNIQUE INDEX notifications_order_template_key ON notifications (order_id, template) WHERE order_id IS NOT NULL;
