-- Shops: one per user, enforced by the unique owner index.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE shops (
    id uuid PRIMARY KEY,
    owner_id uuid NOT NULL CONSTRAINT shops_owner_key UNIQUE,
    name text NOT NULL CHECK (length(name) BETWEEN 2 AND 100),
    slug text NOT NULL CONSTRAINT shops_slug_key UNIQUE,
    description text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX shops_name_trgm ON shops USING gin (name gin_trgm_ops);

-- The sales projection: one row per paid order line of a shop, filled from the order service's
-- events when it publishes them. Reports read only this table.
CREATE TABLE sales_lines (
    order_id uuid NOT NULL,
    variant_id uuid NOT NULL,
    shop_id uuid NOT NULL,
    product_id uuid NOT NULL,
    product_name text NOT NULL,
    quantity integer NOT NULL CHECK (quantity > 0),
    revenue bigint NOT NULL CHECK (revenue >= 0),
    currency char(3) NOT NULL,
    paid_at timestamptz NOT NULL,
    PRIMARY KEY (order_id, variant_id)
);
CREATE INDEX sales_lines_shop_day ON sales_lines (shop_id, paid_at);
