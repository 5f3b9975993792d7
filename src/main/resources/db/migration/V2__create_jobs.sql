-- A job and everything the scheduler and the poller keep about it. The current poll-history
-- entry (consecutive polls with the same outcome folded into one) lives in the job row, so an
-- unchanged poll updates this row and inserts nothing.
CREATE TABLE jobs (
    id                    UUID        PRIMARY KEY,
    owner_id              UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    spec                  JSONB       NOT NULL,
    secret_headers        BYTEA,
    status                TEXT        NOT NULL CHECK (status IN ('ACTIVE', 'STOPPED')),
    interval_ms           BIGINT,
    cron                  TEXT,
    jitter_ms             BIGINT      NOT NULL DEFAULT 0,
    effective_interval_ms BIGINT,
    next_due_at           TIMESTAMPTZ,
    next_run_at           TIMESTAMPTZ,
    last_run_at           TIMESTAMPTZ,
    last_outcome          TEXT,
    polls                 BIGINT      NOT NULL DEFAULT 0,
    changes               BIGINT      NOT NULL DEFAULT 0,
    failures              BIGINT      NOT NULL DEFAULT 0,
    consecutive_failures  INT         NOT NULL DEFAULT 0,
    etag                  TEXT,
    last_modified         TEXT,
    latest_hash           BYTEA,
    latest_version_id     UUID,
    fold_started_at       TIMESTAMPTZ,
    fold_last_at          TIMESTAMPTZ,
    fold_count            INT         NOT NULL DEFAULT 0,
    fold_duration_ms      BIGINT,
    fold_http_status      INT,
    fold_outcome          TEXT,
    fold_attempts         INT,
    fold_version_id       UUID,
    fold_error            TEXT,
    version               BIGINT      NOT NULL DEFAULT 0,
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL,
    CHECK ((interval_ms IS NULL) <> (cron IS NULL))
);

-- the scheduler's claim: due active jobs in due order
CREATE INDEX jobs_due ON jobs (next_run_at) WHERE status = 'ACTIVE';
-- a user's jobs, paged by id
CREATE INDEX jobs_owner ON jobs (owner_id, id);
