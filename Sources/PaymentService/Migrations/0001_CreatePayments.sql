-- One payment per order. Card numbers are never stored: only brand and last four digits.
CREATE TABLE payments (
    id uuid PRIMARY KEY,
    order_id uuid NOT NULL CONSTRAINT payments_order_key UNIQUE,
    customer_id uuid NOT NULL,
    status text NOT NULL DEFAULT 'requires_confirmation'
        CHECK (status IN ('requires_confirmation', 'requires_action', 'processing', 'succeeded', 'failed', 'canceled', 'refunded', 'partially_refunded')),
    provider text NOT NULL,
    provider_reference text,
    client_secret text,
    amount bigint NOT NULL CHECK (amount > 0),
    currency char(3) NOT NULL,
    captured bigint NOT NULL DEFAULT 0 CHECK (captured >= 0),
    refunded bigint NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= captured),
    return_url text,
    card_brand text,
    card_last4 text,
    failure_code text,
    failure_message text,
    -- the order was cancelled: no confirmation may start, and a late capture is refunded
    order_cancelled boolean NOT NULL DEFAULT false,
    processing_since timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_listing ON payments (id DESC);
CREATE INDEX payments_processing ON payments (processing_since) WHERE status = 'processing';
CREATE UNIQUE INDEX payments_reference ON payments (provider, provider_reference);

-- Every provider event received, deduplicated by the provider's id.
CREATE TABLE provider_events (
    provider text NOT NULL,
    id text NOT NULL,
    payment_id uuid,
    type text NOT NULL,
    outcome text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, id)
);
CREATE INDEX provider_events_payment ON provider_events (payment_id, received_at);

CREATE TABLE refunds (
    id uuid PRIMARY KEY,
    payment_id uuid NOT NULL REFERENCES payments (id),
    amount bigint NOT NULL CHECK (amount > 0),
    reason text,
    actor text NOT NULL,
    provider_reference text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_payment ON refunds (payment_id);

-- The sandbox processor's own books (what a card network would hold): it answers confirmations
-- and refunds from here and sends signed webhooks about them through the job queue.
CREATE TABLE sandbox_intents (
    reference text PRIMARY KEY,
    payment_id uuid NOT NULL UNIQUE,
    amount bigint NOT NULL,
    currency char(3) NOT NULL,
    status text NOT NULL DEFAULT 'requires_payment_method'
        CHECK (status IN ('requires_payment_method', 'requires_action', 'processing', 'succeeded', 'failed')),
    captured bigint NOT NULL DEFAULT 0,
    refunded bigint NOT NULL DEFAULT 0 CHECK (refunded <= captured),
    card_brand text,
    card_last4 text,
    failure_code text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE sandbox_requests (
    idempotency_key text PRIMARY KEY,
    response jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Orders cancelled before their payment was opened: a payment opened for one later starts cancelled.
CREATE TABLE cancelled_orders (
    order_id uuid PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now()
);
