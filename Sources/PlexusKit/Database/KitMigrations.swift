/// The tables the kit's mechanisms need in every service database: the job queue, the outbox, the
/// inbox, parked events and the idempotency store. Applied before a service's own migrations.
public enum KitMigrations {
    /// The kit's migration set (component `kit`).
    public static let set = MigrationSet(component: "kit", migrations: [
        Migration(version: 1, name: "CreateJobs", sql: """
            CREATE TABLE jobs (
                id uuid PRIMARY KEY,
                kind text NOT NULL,
                payload jsonb NOT NULL DEFAULT '{}'::jsonb,
                status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'dead')),
                attempts int NOT NULL DEFAULT 0,
                max_attempts int NOT NULL DEFAULT 8,
                run_at timestamptz NOT NULL DEFAULT now(),
                locked_until timestamptz,
                locked_by text,
                last_error text,
                dedupe_key text UNIQUE,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX jobs_ready ON jobs (run_at) WHERE status = 'pending';
            CREATE INDEX jobs_leased ON jobs (locked_until) WHERE status = 'running';
            """),
        Migration(version: 2, name: "CreateOutboxInbox", sql: """
            CREATE TABLE outbox (
                id uuid PRIMARY KEY,
                type text NOT NULL,
                payload jsonb NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE inbox (
                event_id uuid PRIMARY KEY,
                type text NOT NULL,
                received_at timestamptz NOT NULL DEFAULT now()
            );
            """),
        Migration(version: 3, name: "CreateIdempotencyKeys", sql: """
            CREATE TABLE idempotency_keys (
                scope text NOT NULL,
                key text NOT NULL,
                fingerprint text NOT NULL,
                status text NOT NULL CHECK (status IN ('running', 'done')),
                response_status int,
                response_headers jsonb,
                response_body bytea,
                created_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (scope, key)
            );
            CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
            """),
        Migration(version: 4, name: "TraceJobsParkEvents", sql: """
            ALTER TABLE jobs ADD COLUMN request_id text, ADD COLUMN traceparent text;
            CREATE TABLE parked_events (
                event_id uuid PRIMARY KEY,
                type text NOT NULL,
                version int NOT NULL,
                body jsonb NOT NULL,
                reason text NOT NULL,
                parked_at timestamptz NOT NULL DEFAULT now()
            );
            """),
        // After each delivery the outbox row is dropped once no other delivery of its event is still
        // due; without an index that question read every delivery job kept (a week of them).
        Migration(version: 5, name: "OpenDeliveriesByEvent", sql: """
            CREATE INDEX jobs_open_deliveries ON jobs ((payload->>'eventId')) WHERE kind = 'outbox.deliver' AND status <> 'done';
            """),
    ])
}
