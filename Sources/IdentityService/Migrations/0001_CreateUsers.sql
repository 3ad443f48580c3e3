CREATE TABLE users (
    id uuid PRIMARY KEY,
    email text NOT NULL,
    name text NOT NULL,
    password_hash text NOT NULL,
    roles text[] NOT NULL DEFAULT ARRAY['customer'],
    email_verified boolean NOT NULL DEFAULT false,
    disabled boolean NOT NULL DEFAULT false,
    token_version int NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- One account per e-mail, case-insensitively; concurrent registrations race on this index.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
