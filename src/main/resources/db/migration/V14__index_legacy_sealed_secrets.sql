-- Secret headers sealed in format 1 (first byte 0x01: a SHA-256-derived key, not bound to their
-- row) are re-sealed at every start until none is left. This index holds only those rows, so once
-- the upgrade is done the check at start reads an empty index instead of every job; format 2
-- rows never enter it, and a poll's update of a job row leaves secret_headers alone, so it stays
-- a HOT update.
CREATE INDEX jobs_legacy_sealed_secrets ON jobs (id)
    WHERE substring(secret_headers FROM 1 FOR 1) = '\x01'::BYTEA;
