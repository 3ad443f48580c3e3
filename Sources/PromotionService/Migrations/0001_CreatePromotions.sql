-- Promotions. Codes are stored trimmed and upper case, unique (an ended promotion keeps its code).
CREATE TABLE promotions (
    id uuid PRIMARY KEY,
    code text NOT NULL CONSTRAINT promotions_code_key UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{1,31}$'),
    kind text NOT NULL CHECK (kind IN ('percentage', 'fixed')),
    percentage integer CHECK (percentage BETWEEN 1 AND 100),
    amount bigint CHECK (amount > 0),
    currency char(3) NOT NULL,
    max_discount bigint CHECK (max_discount > 0),
    min_subtotal bigint CHECK (min_subtotal >= 0),
    starts_at timestamptz NOT NULL,
    ends_at timestamptz,
    usage_limit integer CHECK (usage_limit > 0),
    per_customer_limit integer CHECK (per_customer_limit > 0),
    product_ids uuid[],
    shop_ids uuid[],
    category_ids uuid[],
    vip_only boolean NOT NULL DEFAULT false,
    shop_id uuid,
    usage_count integer NOT NULL DEFAULT 0 CHECK (usage_count >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    CHECK ((kind = 'percentage') = (percentage IS NOT NULL)),
    CHECK ((kind = 'fixed') = (amount IS NOT NULL)),
    CHECK (ends_at IS NULL OR ends_at > starts_at)
);
CREATE INDEX promotions_shop ON promotions (shop_id, id);

-- Which shop a seller owns, from the shop service's events.
CREATE TABLE shops (
    id uuid PRIMARY KEY,
    owner_id uuid NOT NULL CONSTRAINT shops_owner_key UNIQUE
);
