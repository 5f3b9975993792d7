-- Per-user quotas: how many jobs, and how many bytes of stored bodies. NULL takes the default
-- (pollster.quota.*). What a user stores is the sum over their jobs: each job counts its own, in
-- its row, which the poll storing a body has locked anyway (a per-user counter would make every
-- change of a user's jobs wait for one hot row).
ALTER TABLE users
    ADD COLUMN quota_jobs         INT,
    ADD COLUMN quota_stored_bytes BIGINT;

ALTER TABLE jobs
    ADD COLUMN stored_bytes BIGINT NOT NULL DEFAULT 0;

UPDATE jobs j
SET stored_bytes = coalesce((SELECT sum(b.size) FROM bodies b WHERE b.job_id = j.id), 0);
