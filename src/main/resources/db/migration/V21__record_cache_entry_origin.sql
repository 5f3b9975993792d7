-- Who stored a shared answer, and when. A reader takes an answer only while it is younger than the
-- reader's own ttl (as an HTTP request's max-age): stored_at is what that age counts from, and
-- fresh_until becomes the latest any reader may take it (a failure's 5 s, an answer's retention).
-- stored_by is the user whose poll made the call: polls show an answer as cached only to that user.
-- Rows stored before this migration have no stored_at: no reader takes them, the next poll asks again.
ALTER TABLE cache_entries ADD COLUMN stored_at TIMESTAMPTZ;
ALTER TABLE cache_entries ADD COLUMN stored_by UUID;

-- Which key the live nodes name cache entries under (a hash of it, which shows nothing of the key).
-- Nodes with another POLLSTER_SECRET_KEY name the same request differently and cannot share its
-- calls: the one that finds another node's key here while that node is alive says so.
CREATE TABLE cache_key_checks (
    id         SMALLINT    PRIMARY KEY CHECK (id = 1),
    key_id     BYTEA       NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
