CREATE TABLE emails (
    id uuid PRIMARY KEY,
    user_id uuid,
    event_id uuid,
    template text NOT NULL,
    to_address text NOT NULL,
    subject text NOT NULL,
    text_body text NOT NULL,
    html_body text NOT NULL,
    transport text NOT NULL,
    status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts int NOT NULL DEFAULT 0,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz
);
CREATE INDEX emails_user ON emails (user_id, id DESC);
CREATE INDEX emails_recipient ON emails (lower(to_address), id DESC);
