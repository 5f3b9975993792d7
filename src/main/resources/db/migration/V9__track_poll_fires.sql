-- One poll of a job in flight. The scheduler stamps each fire in the job's schedule row
-- (fired_at, which is also the fire's identity on its poll task); the poller writes the same
-- stamp into the job row when that fire's poll is over (done_fire_at), in the statement that
-- records the outcome anyway. A due time that finds its job's last fire not yet done is skipped
-- (or, for a run-now, put off until it is), so a slow upstream is never polled twice at once.
ALTER TABLE job_schedules
    ADD COLUMN fired_at      TIMESTAMPTZ,
    -- POST /jobs/{id}/run: fire as soon as no poll of the job is in flight; repeated requests
    -- coalesce into one fire
    ADD COLUMN run_requested BOOLEAN NOT NULL DEFAULT false;

ALTER TABLE jobs
    ADD COLUMN done_fire_at TIMESTAMPTZ;
