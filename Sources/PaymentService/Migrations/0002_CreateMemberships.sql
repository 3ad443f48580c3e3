-- VIP memberships: one live membership per user, charged each period through the provider by the
-- billing job. The card stays with the provider (`method_reference`); only brand and last four here.
CREATE TABLE memberships (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    plan text NOT NULL CHECK (plan IN ('monthly', 'semiannual', 'annual')),
    status text NOT NULL DEFAULT 'incomplete' CHECK (status IN ('incomplete', 'active', 'past_due', 'canceled', 'expired', 'failed')),
    amount bigint NOT NULL CHECK (amount > 0),
    currency char(3) NOT NULL,
    provider text NOT NULL,
    method_reference text NOT NULL,
    -- with a provider that bills subscriptions itself (Stripe Billing): its subscription
    subscription_reference text,
    card_brand text,
    card_last4 text,
    -- periods paid so far; the period being charged next is periods_paid + 1
    periods_paid integer NOT NULL DEFAULT 0,
    -- declined attempts at the period being charged next
    failed_attempts integer NOT NULL DEFAULT 0,
    current_period_start timestamptz,
    current_period_end timestamptz,
    cancel_at_period_end boolean NOT NULL DEFAULT false,
    -- when the billing job looks at it next (period end, a retry, or the end of the grace period)
    next_attempt_at timestamptz,
    grace_ends_at timestamptz,
    -- a charge is being made until then (the job or the member); nobody else starts one
    billing_lease_until timestamptz,
    failure_code text,
    failure_message text,
    ended_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX memberships_live ON memberships (user_id) WHERE status IN ('incomplete', 'active', 'past_due');
CREATE INDEX memberships_user ON memberships (user_id, created_at DESC);
CREATE UNIQUE INDEX memberships_subscription ON memberships (provider, subscription_reference);
CREATE INDEX memberships_due ON memberships (next_attempt_at) WHERE status IN ('incomplete', 'active', 'past_due');

-- Every charge attempt: the receipts, and the declines.
CREATE TABLE membership_charges (
    id uuid PRIMARY KEY,
    membership_id uuid NOT NULL REFERENCES memberships (id),
    period_number integer NOT NULL,
    attempt integer NOT NULL,
    status text NOT NULL CHECK (status IN ('succeeded', 'failed')),
    amount bigint NOT NULL,
    currency char(3) NOT NULL,
    provider_reference text,
    card_brand text,
    card_last4 text,
    failure_code text,
    failure_message text,
    period_start timestamptz NOT NULL,
    period_end timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (membership_id, period_number, attempt)
);
CREATE UNIQUE INDEX membership_charges_paid_once ON membership_charges (membership_id, period_number) WHERE status = 'succeeded';

-- The sandbox processor's saved cards (what a card network's vault holds for off-session charges):
-- never the number, only what it answers, the brand, the last four and the expiry.
CREATE TABLE sandbox_payment_methods (
    reference text PRIMARY KEY,
    behaviour text NOT NULL,
    card_brand text NOT NULL,
    card_last4 text NOT NULL,
    exp_month integer NOT NULL,
    exp_year integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
