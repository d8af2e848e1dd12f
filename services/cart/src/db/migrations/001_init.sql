-- Carts and the product read model that prices them. Runs unchanged on PostgreSQL 15+ and PGlite.

-- What the cart knows of catalog's products, fed by product.created/updated/deleted.
CREATE TABLE products (
  id           uuid PRIMARY KEY,
  -- Null only in a tombstone: product.deleted arrived before anything else about the product.
  name         text,
  price_amount bigint CHECK (price_amount >= 0),
  currency     text,
  -- Sticky: catalog never brings a deleted product back, so a late created/updated cannot revive it.
  deleted      boolean NOT NULL DEFAULT false,
  -- The time of the catalog event last applied; an older event arriving late is ignored.
  catalog_at   timestamptz,
  CONSTRAINT products_priced CHECK (deleted OR (name IS NOT NULL AND price_amount IS NOT NULL AND currency IS NOT NULL))
);

-- One cart per user, created the first time they change it.
CREATE TABLE carts (
  -- Identity's user id; no foreign key, since users live in another service's database.
  user_id    uuid PRIMARY KEY,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE cart_items (
  user_id    uuid NOT NULL REFERENCES carts (user_id) ON DELETE CASCADE,
  -- No foreign key to products: the read model keeps tombstones, but the line is what the user chose.
  product_id uuid NOT NULL,
  quantity   integer NOT NULL CHECK (quantity BETWEEN 1 AND 99),
  added_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, product_id)
);
