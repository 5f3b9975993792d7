-- The size of a job's stored definition (its request body may be 1 MiB), so that a list of jobs
-- can stop at a number of bytes instead of holding a thousand large definitions at once.
ALTER TABLE jobs
    ADD COLUMN spec_bytes INT NOT NULL DEFAULT 0;

UPDATE jobs SET spec_bytes = octet_length(spec::text);
