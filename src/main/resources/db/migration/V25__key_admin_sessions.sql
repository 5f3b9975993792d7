-- An admin web UI session stored the plain SHA-256 of the admin token, which an operator chooses:
-- a reader of this table could test guesses of it offline. Admin sessions now store a keyed HMAC
-- of it instead (a key derived from the secret key); the ones stored the old way are ended here.
DELETE FROM browser_sessions WHERE user_id IS NULL;

COMMENT ON COLUMN browser_sessions.token_hash IS
    'a user''s session: the SHA-256 of the user''s token (as users.token_hash); the admin''s: an HMAC of the admin token''s hash under a key derived from the secret key';

-- A user's sessions, oldest first: to end the oldest beyond pollster.ui.max-sessions-per-user, and
-- so that deleting a user finds its sessions (the cascade) without reading the whole table.
CREATE INDEX browser_sessions_user ON browser_sessions (user_id, created_at);
