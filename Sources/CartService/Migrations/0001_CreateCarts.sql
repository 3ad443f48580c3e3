-- Carts: one per signed-in user (unique user_id), or a guest's behind a token stored as its
-- SHA-256 hash. A guest cart not seen for the idle period is deleted by a periodic job.
CREATE TABLE carts (
    id uuid PRIMARY KEY,
    user_id uuid CONSTRAINT carts_user_key UNIQUE,
    token_hash text CONSTRAINT carts_token_key UNIQUE,
    version integer NOT NULL DEFAULT 1,
    promotion_code text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    seen_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT carts_owner_check CHECK ((user_id IS NULL) <> (token_hash IS NULL))
);
CREATE INDEX carts_guest_seen ON carts (seen_at) WHERE user_id IS NULL;

-- Lines keep what the buyer saw when adding (name, SKU, unit price) so a line whose product is
-- gone still reads, and a changed price can be pointed out. Prices charged are always the
-- catalogue's current ones.
CREATE TABLE cart_lines (
    id uuid PRIMARY KEY,
    cart_id uuid NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    variant_id uuid NOT NULL,
    product_id uuid NOT NULL,
    product_name text NOT NULL,
    sku text NOT NULL,
    quantity integer NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    added_price bigint NOT NULL CHECK (added_price >= 0),
    currency char(3) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT cart_lines_variant_key UNIQUE (cart_id, variant_id)
);
