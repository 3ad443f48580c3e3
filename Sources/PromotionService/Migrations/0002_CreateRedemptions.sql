-- One row per order that used a promotion: counted when the order is paid, given back (released)
-- when it is cancelled. usage_count on promotions is kept in the same transactions.
CREATE TABLE redemptions (
    promotion_id uuid NOT NULL REFERENCES promotions (id),
    order_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    released_at timestamptz,
    PRIMARY KEY (promotion_id, order_id)
);
CREATE INDEX redemptions_customer ON redemptions (promotion_id, customer_id) WHERE released_at IS NULL;
