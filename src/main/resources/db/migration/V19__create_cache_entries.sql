-- The shared upstream cache on PostgreSQL (POLLSTER_CACHE=postgres, the default). One row per
-- request fingerprint (a keyed hash of method, URL, headers and body: no secret in clear). The row
-- is the lock too: a poll that finds no fresh answer takes the lease with a new fence from the
-- sequence; only the holder of the newest fence may write the answer, so a holder whose lease ran
-- out mid-fetch cannot overwrite what a later one stored. Writers NOTIFY pollster_cache with the
-- key, which wakes the waiters of every node.
CREATE SEQUENCE cache_fences;

CREATE TABLE cache_entries (
    key           BYTEA       PRIMARY KEY,
    fence         BIGINT      NOT NULL,
    lease_until   TIMESTAMPTZ,
    fresh_until   TIMESTAMPTZ,
    expires_at    TIMESTAMPTZ NOT NULL,
    etag          TEXT,
    last_modified TEXT,
    answer        BYTEA
);

CREATE INDEX cache_entries_expiry ON cache_entries (expires_at);

-- whether a poll's answer came from the shared cache: polls fold only with polls alike in this too
ALTER TABLE job_polls ADD COLUMN fold_cached BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE polls ADD COLUMN cached BOOLEAN NOT NULL DEFAULT false;
