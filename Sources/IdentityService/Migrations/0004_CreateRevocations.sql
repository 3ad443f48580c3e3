-- Every revocation of access tokens, for the feed other services and the gateway poll
-- (GET /internal/revocations). Written by triggers, so no code path that ends a session or bumps
-- a token version can forget it.
CREATE TABLE revocations (
    id bigserial PRIMARY KEY,
    user_id uuid,
    min_token_version int,
    session_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((user_id IS NOT NULL AND min_token_version IS NOT NULL) OR session_id IS NOT NULL)
);
CREATE INDEX revocations_created ON revocations (created_at);

CREATE FUNCTION revocations_from_users() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.token_version <> OLD.token_version THEN
        INSERT INTO revocations (user_id, min_token_version) VALUES (NEW.id, NEW.token_version);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER users_revocations AFTER UPDATE OF token_version ON users
    FOR EACH ROW EXECUTE FUNCTION revocations_from_users();

CREATE FUNCTION revocations_from_sessions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.revoked_at IS NOT NULL AND OLD.revoked_at IS NULL THEN
        INSERT INTO revocations (session_id) VALUES (NEW.family_id);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER refresh_tokens_revocations AFTER UPDATE OF revoked_at ON refresh_tokens
    FOR EACH ROW EXECUTE FUNCTION revocations_from_sessions();
