-- Catalog: categories, the copy of shops (owner lookups), products, variants, images.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE categories (
    id uuid PRIMARY KEY,
    parent_id uuid REFERENCES categories (id) ON DELETE RESTRICT,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    slug text NOT NULL CONSTRAINT categories_slug_key UNIQUE,
    position integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (parent_id IS DISTINCT FROM id)
);
CREATE INDEX categories_parent ON categories (parent_id);

-- Filled from the shop service's shop.created / shop.updated events (and on demand from its API).
CREATE TABLE shops (
    id uuid PRIMARY KEY,
    owner_id uuid NOT NULL CONSTRAINT shops_owner_key UNIQUE,
    name text NOT NULL,
    slug text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE products (
    id uuid PRIMARY KEY,
    shop_id uuid NOT NULL,
    category_id uuid NOT NULL CONSTRAINT products_category_fkey REFERENCES categories (id) ON DELETE RESTRICT,
    slug text NOT NULL CONSTRAINT products_slug_key UNIQUE,
    name text NOT NULL,
    description text NOT NULL DEFAULT '',
    attributes jsonb NOT NULL DEFAULT '{}',
    status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
    currency char(3) NOT NULL,
    -- Kept in step with the variants in the same transaction as any variant change.
    min_price bigint NOT NULL DEFAULT 0,
    max_price bigint NOT NULL DEFAULT 0,
    -- Counters that order and review events will move; zero until those services publish.
    sold_count bigint NOT NULL DEFAULT 0,
    rating_count integer NOT NULL DEFAULT 0,
    rating_sum bigint NOT NULL DEFAULT 0,
    rating_rank bigint GENERATED ALWAYS AS (CASE WHEN rating_count = 0 THEN 0 ELSE rating_sum * 1000000 / rating_count END) STORED,
    search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, name), 'A')
        || setweight(jsonb_to_tsvector('english'::regconfig, attributes, '["string"]'), 'B')
        || setweight(to_tsvector('english'::regconfig, description), 'C')
    ) STORED,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX products_search ON products USING gin (search);
CREATE INDEX products_name_trgm ON products USING gin (name gin_trgm_ops);
CREATE INDEX products_attributes ON products USING gin (attributes jsonb_path_ops);
CREATE INDEX products_listed_newest ON products (id DESC) WHERE status = 'published';
CREATE INDEX products_listed_price ON products (min_price, id) WHERE status = 'published';
CREATE INDEX products_listed_category ON products (category_id, id DESC) WHERE status = 'published';
CREATE INDEX products_shop ON products (shop_id, id DESC);

CREATE TABLE variants (
    id uuid PRIMARY KEY,
    product_id uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    sku text NOT NULL,
    options jsonb NOT NULL DEFAULT '{}',
    price bigint NOT NULL CHECK (price >= 0),
    compare_at_price bigint CHECK (compare_at_price >= 0),
    on_hand integer NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    reserved integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- available = on_hand - reserved can never go negative.
    CONSTRAINT variants_stock_check CHECK (reserved <= on_hand)
);
CREATE UNIQUE INDEX variants_sku_key ON variants (lower(sku));
CREATE INDEX variants_product ON variants (product_id, id);

CREATE TABLE product_images (
    product_id uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    media_id uuid NOT NULL,
    position integer NOT NULL DEFAULT 0,
    -- An explicit address (demo placeholders); otherwise derived from the media id.
    url text,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (product_id, media_id)
);
