-- Stock held for orders: all lines or none, idempotent by order id, lapsing when not settled.
CREATE TABLE reservations (
    order_id uuid PRIMARY KEY,
    status text NOT NULL DEFAULT 'reserved' CHECK (status IN ('reserved', 'committed', 'released', 'expired')),
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reservations_expiring ON reservations (expires_at) WHERE status = 'reserved';

CREATE TABLE reservation_lines (
    order_id uuid NOT NULL REFERENCES reservations (order_id) ON DELETE CASCADE,
    -- No foreign key: a committed line stays as history after its variant is deleted.
    variant_id uuid NOT NULL,
    quantity integer NOT NULL CHECK (quantity > 0),
    -- What the order snapshots: the server's price and names at reservation time.
    product_id uuid NOT NULL,
    product_name text NOT NULL,
    sku text NOT NULL,
    options jsonb NOT NULL,
    shop_id uuid NOT NULL,
    unit_price bigint NOT NULL,
    currency char(3) NOT NULL,
    PRIMARY KEY (order_id, variant_id)
);
CREATE INDEX reservation_lines_variant ON reservation_lines (variant_id);
