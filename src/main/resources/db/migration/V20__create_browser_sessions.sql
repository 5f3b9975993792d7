-- Web UI sessions: a browser exchanges a bearer token for a random session id kept in an HttpOnly
-- cookie. Only hashes are stored: the id's (looked up on each request) and the token's it came from
-- (so a session ends when its user is deleted or the admin token changes). Any api node can serve
-- any session.
CREATE TABLE browser_sessions (
    id_hash    BYTEA       PRIMARY KEY,
    user_id    UUID        REFERENCES users (id) ON DELETE CASCADE,
    token_hash BYTEA       NOT NULL,
    csrf       TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX browser_sessions_expiry ON browser_sessions (expires_at);
