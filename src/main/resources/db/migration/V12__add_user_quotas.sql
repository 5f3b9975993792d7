-- Per-user quotas: how many jobs, and how many bytes of stored bodies. NULL takes the default
-- (pollster.quota.*); stored_bytes is kept up to date as bodies are stored, pruned and deleted.
ALTER TABLE users
    ADD COLUMN quota_jobs         INT,
    ADD COLUMN quota_stored_bytes BIGINT,
    ADD COLUMN stored_bytes       BIGINT NOT NULL DEFAULT 0;

UPDATE users u
SET stored_bytes = coalesce((SELECT sum(b.size) FROM bodies b JOIN jobs j ON j.id = b.job_id WHERE j.owner_id = u.id), 0);
