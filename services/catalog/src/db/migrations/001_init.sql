-- Categories and products. Runs unchanged on PostgreSQL 15+ and PGlite.

CREATE TABLE categories (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug        text NOT NULL,
  name        text NOT NULL,
  description text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT categories_slug_key UNIQUE (slug)
);

CREATE TABLE products (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  sku             text NOT NULL,
  name            text NOT NULL,
  description     text NOT NULL DEFAULT '',
  price_amount    bigint NOT NULL CHECK (price_amount >= 0),
  currency        char(3) NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
  category_id     uuid NOT NULL REFERENCES categories (id),
  -- The stock given at creation; the inventory service will own stock once it exists.
  stock_available integer NOT NULL DEFAULT 0 CHECK (stock_available >= 0),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  -- 'simple' (no stemming, no stop words) so that prefix search works on every word, "the" and "to" included.
  search_vector   tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple'::regconfig, name), 'A') ||
    setweight(to_tsvector('simple'::regconfig, description), 'B')
  ) STORED
);

-- SKUs are unique ignoring case: "cof-001" and "COF-001" name the same item.
CREATE UNIQUE INDEX products_sku_key ON products (lower(sku));
CREATE INDEX products_search_idx ON products USING gin (search_vector);
CREATE INDEX products_category_idx ON products (category_id);
CREATE INDEX products_created_idx ON products (created_at DESC, id DESC);
CREATE INDEX products_price_idx ON products (price_amount, id);
