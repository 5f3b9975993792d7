-- A job's due times move to a narrow table of their own. Every fire rewrote the whole job row
-- (~650 bytes with its JSON definition) and an entry in each of its three indexes; now it rewrites
-- a ~70-byte row with two. The scheduler reads and writes only this table. next_run_at is set
-- exactly when the job is active.
CREATE TABLE job_schedules (
    job_id                UUID        PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    interval_ms           BIGINT,
    cron                  TEXT,
    jitter_ms             BIGINT      NOT NULL DEFAULT 0,
    effective_interval_ms BIGINT,
    next_due_at           TIMESTAMPTZ,
    next_run_at           TIMESTAMPTZ,
    CHECK ((interval_ms IS NULL) <> (cron IS NULL))
);

INSERT INTO job_schedules (job_id, interval_ms, cron, jitter_ms, effective_interval_ms, next_due_at, next_run_at)
SELECT id, interval_ms, cron, jitter_ms, effective_interval_ms,
       CASE WHEN status = 'ACTIVE' THEN next_due_at END,
       CASE WHEN status = 'ACTIVE' THEN next_run_at END
FROM jobs;

-- the scheduler's claim: due jobs in due order
CREATE INDEX job_schedules_due ON job_schedules (next_run_at) WHERE next_run_at IS NOT NULL;

DROP INDEX jobs_due;
ALTER TABLE jobs
    DROP COLUMN interval_ms,
    DROP COLUMN cron,
    DROP COLUMN jitter_ms,
    DROP COLUMN effective_interval_ms,
    DROP COLUMN next_due_at,
    DROP COLUMN next_run_at;
