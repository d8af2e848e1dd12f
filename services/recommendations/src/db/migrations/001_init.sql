-- The co-purchase read model. Runs unchanged on PostgreSQL 15+ and PGlite.

-- What recommendations know of catalog's products: a name to show, and whether it is deleted.
CREATE TABLE products (
  id         uuid PRIMARY KEY,
  -- Null only in a tombstone: product.deleted arrived before anything naming the product.
  name       text,
  -- Sticky: catalog never brings a deleted product back.
  deleted    boolean NOT NULL DEFAULT false,
  -- The time of the catalog event that named it; null while the name comes from an order.
  catalog_at timestamptz
);

-- For each product, how many confirmed orders also held each other product; both directions stored.
CREATE TABLE co_purchases (
  product_id uuid NOT NULL,
  other_id   uuid NOT NULL,
  orders     integer NOT NULL CHECK (orders >= 1),
  PRIMARY KEY (product_id, other_id),
  CHECK (product_id <> other_id)
);
