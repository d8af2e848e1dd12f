-- Shipping is charged: an order keeps the service chosen, its carrier and the price shipping
-- quoted when it was placed (in the order's currency), and its total includes that price.
-- Orders placed before have none (null), and their total is their lines.
ALTER TABLE orders ADD COLUMN shipping_service text CHECK (shipping_service IN ('standard', 'express'));
ALTER TABLE orders ADD COLUMN shipping_carrier text;
ALTER TABLE orders ADD COLUMN shipping_amount bigint CHECK (shipping_amount >= 0);
ALTER TABLE orders ADD CONSTRAINT orders_shipping_whole CHECK ((shipping_service IS NULL) = (shipping_amount IS NULL) AND (shipping_service IS NULL) = (shipping_carrier IS NULL));
