-- Deliveries dropped from a crowded lane (pollster.outputs.max-pending) are one dead letter per job
-- and output that counts them, whichever pass or node dropped them: the lane's output is in its
-- error, which starts with "dropped:". Nothing was recorded with such an error before.
CREATE UNIQUE INDEX dead_letters_dropped ON dead_letters (job_id, md5(error))
    WHERE type = 'delivery' AND job_id IS NOT NULL AND error LIKE 'dropped:%';
