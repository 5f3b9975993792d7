-- What polling keeps about a job moves to a narrow table of its own, written by the poller alone:
-- the open poll-history entry (fold_*), the counters, the validators, the latest version it
-- compares against and the done mark of the job's last fire. An unchanged poll rewrote the whole
-- job row (its JSON definition inline) to record itself; now it rewrites a row of ~200 bytes, and
-- the job row is written only when its definition changes. Each table has one writer: jobs the
-- job API, job_schedules the scheduler, job_polls and polls the poller.
CREATE TABLE job_polls (
    job_id               UUID        PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    latest_hash          BYTEA,
    latest_version_id    UUID,
    etag                 TEXT,
    last_modified        TEXT,
    done_fire_at         TIMESTAMPTZ,
    last_run_at          TIMESTAMPTZ,
    last_outcome         TEXT,
    polls                BIGINT      NOT NULL DEFAULT 0,
    changes              BIGINT      NOT NULL DEFAULT 0,
    failures             BIGINT      NOT NULL DEFAULT 0,
    consecutive_failures INT         NOT NULL DEFAULT 0,
    fold_started_at      TIMESTAMPTZ,
    fold_last_at         TIMESTAMPTZ,
    fold_count           INT         NOT NULL DEFAULT 0,
    fold_duration_ms     BIGINT,
    fold_http_status     INT,
    fold_outcome         TEXT,
    fold_attempts        INT,
    fold_version_id      UUID,
    fold_error           TEXT,
    fold_skipped         INT         NOT NULL DEFAULT 0
);

INSERT INTO job_polls (job_id, latest_hash, latest_version_id, etag, last_modified, done_fire_at, last_run_at,
                       last_outcome, polls, changes, failures, consecutive_failures, fold_started_at, fold_last_at,
                       fold_count, fold_duration_ms, fold_http_status, fold_outcome, fold_attempts, fold_version_id,
                       fold_error, fold_skipped)
SELECT id, latest_hash, latest_version_id, etag, last_modified, done_fire_at, last_run_at, last_outcome, polls, changes,
       failures, consecutive_failures, fold_started_at, fold_last_at, fold_count, fold_duration_ms, fold_http_status,
       fold_outcome, fold_attempts, fold_version_id, fold_error, fold_skipped
FROM jobs;

ALTER TABLE jobs
    DROP COLUMN latest_hash,
    DROP COLUMN latest_version_id,
    DROP COLUMN etag,
    DROP COLUMN last_modified,
    DROP COLUMN done_fire_at,
    DROP COLUMN last_run_at,
    DROP COLUMN last_outcome,
    DROP COLUMN polls,
    DROP COLUMN changes,
    DROP COLUMN failures,
    DROP COLUMN consecutive_failures,
    DROP COLUMN fold_started_at,
    DROP COLUMN fold_last_at,
    DROP COLUMN fold_count,
    DROP COLUMN fold_duration_ms,
    DROP COLUMN fold_http_status,
    DROP COLUMN fold_outcome,
    DROP COLUMN fold_attempts,
    DROP COLUMN fold_version_id,
    DROP COLUMN fold_error,
    DROP COLUMN fold_skipped;
