-- Orders. A checkout first writes its order as 'placing' (the saga's record: every step's outcome
-- is found from here after a crash), then fills lines and totals and moves it to 'pending_payment';
-- a checkout that could not complete is 'failed' (never shown). `checkout_key` is the customer's
-- Idempotency-Key: the same key resumes the same order.
CREATE SEQUENCE order_numbers;

CREATE TABLE orders (
    id uuid PRIMARY KEY,
    number text NOT NULL UNIQUE,
    customer_id uuid NOT NULL,
    checkout_key text NOT NULL,
    status text NOT NULL CHECK (status IN ('placing', 'failed', 'pending_payment', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded')),
    -- placing: 'started'; afterwards 'placed' → 'payment_opened' → 'done' (cart emptied)
    saga_step text NOT NULL DEFAULT 'started' CHECK (saga_step IN ('started', 'placed', 'payment_opened', 'done')),
    source text NOT NULL CHECK (source IN ('cart', 'items')),
    requested_items jsonb,
    vip boolean NOT NULL DEFAULT false,
    version integer NOT NULL DEFAULT 1,
    currency char(3) NOT NULL,
    subtotal bigint NOT NULL DEFAULT 0 CHECK (subtotal >= 0),
    discount bigint NOT NULL DEFAULT 0 CHECK (discount >= 0),
    shipping bigint NOT NULL DEFAULT 0 CHECK (shipping >= 0),
    total bigint NOT NULL DEFAULT 0 CHECK (total >= 0),
    captured bigint NOT NULL DEFAULT 0 CHECK (captured >= 0),
    refunded bigint NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= captured),
    shipping_address jsonb NOT NULL,
    note text,
    promotion_code text,
    payment_id uuid,
    return_url text,
    pay_before timestamptz,
    lease_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT orders_checkout_key UNIQUE (customer_id, checkout_key)
);
CREATE INDEX orders_customer ON orders (customer_id, id DESC);
CREATE INDEX orders_listing ON orders (id DESC) WHERE status NOT IN ('placing', 'failed');
CREATE INDEX orders_unpaid ON orders (pay_before) WHERE status = 'pending_payment';
CREATE INDEX orders_unfinished ON orders (updated_at) WHERE saga_step <> 'done' AND status <> 'failed';

-- Lines are snapshots: what was bought, at what price, from which shop (and its owner, so a
-- seller finds their lines without asking another service).
CREATE TABLE order_lines (
    order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position integer NOT NULL,
    variant_id uuid NOT NULL,
    product_id uuid NOT NULL,
    product_name text NOT NULL,
    sku text NOT NULL,
    options jsonb NOT NULL,
    shop_id uuid NOT NULL,
    shop_owner_id uuid,
    unit_price bigint NOT NULL CHECK (unit_price >= 0),
    quantity integer NOT NULL CHECK (quantity > 0),
    discount bigint NOT NULL DEFAULT 0 CHECK (discount >= 0),
    PRIMARY KEY (order_id, variant_id)
);

-- One fulfilment per shop in the order.
CREATE TABLE fulfilments (
    order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    shop_id uuid NOT NULL,
    shop_owner_id uuid,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'shipped', 'delivered', 'cancelled')),
    carrier text,
    tracking_number text,
    shipped_at timestamptz,
    delivered_at timestamptz,
    PRIMARY KEY (order_id, shop_id)
);
CREATE INDEX fulfilments_owner ON fulfilments (shop_owner_id, order_id DESC);

-- Every transition: when, who, why.
CREATE TABLE order_history (
    id bigserial PRIMARY KEY,
    order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    status text NOT NULL,
    actor text NOT NULL,
    reason text,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_history_order ON order_history (order_id, id);
