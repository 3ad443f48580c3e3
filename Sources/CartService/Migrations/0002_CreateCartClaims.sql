-- A checkout holds the user's cart while it places its order: the lines and code it took, so that
-- completing the checkout removes exactly those units (lines added meanwhile stay) and a second
-- checkout of the same cart is refused while the first one is live.
CREATE TABLE cart_claims (
    order_id uuid PRIMARY KEY,
    cart_id uuid NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    lines jsonb NOT NULL,
    promotion_code text,
    status text NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'completed', 'released')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX cart_claims_one_held ON cart_claims (cart_id) WHERE status = 'held';
