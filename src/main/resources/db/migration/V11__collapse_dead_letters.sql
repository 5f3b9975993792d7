-- A job failing the same way again and again (a 1 s job against a refused address) keeps one
-- dead letter per distinct error that counts the repeats, not one row per failed poll.
ALTER TABLE dead_letters
    ADD COLUMN count INT NOT NULL DEFAULT 1,
    ADD COLUMN first_failed_at TIMESTAMPTZ;

UPDATE dead_letters SET first_failed_at = failed_at;

-- what is already there collapses the same way
WITH ranked AS (
    SELECT id,
           row_number() OVER (PARTITION BY job_id, md5(error) ORDER BY failed_at DESC, id DESC) AS rank,
           count(*) OVER (PARTITION BY job_id, md5(error)) AS repeats,
           min(failed_at) OVER (PARTITION BY job_id, md5(error)) AS first
    FROM dead_letters
    WHERE type = 'poll'
      AND job_id IS NOT NULL
), kept AS (
    UPDATE dead_letters d
    SET count = r.repeats, first_failed_at = r.first
    FROM ranked r
    WHERE d.id = r.id
      AND r.rank = 1
)
DELETE FROM dead_letters d
USING ranked r
WHERE d.id = r.id
  AND r.rank > 1;

ALTER TABLE dead_letters
    ALTER COLUMN first_failed_at SET NOT NULL;

CREATE UNIQUE INDEX dead_letters_repeat ON dead_letters (job_id, type, md5(error))
    WHERE type = 'poll' AND job_id IS NOT NULL;

-- retention deletes the oldest first
CREATE INDEX dead_letters_failed ON dead_letters (failed_at);
