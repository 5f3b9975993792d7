-- Due times skipped because the job's previous poll was still in flight are counted on the poll
-- history entry they fell in (its fold in the job row, then its row in polls): an overloaded job
-- keeps folding its polls into one entry instead of alternating between polls and skips.
ALTER TABLE jobs
    ADD COLUMN fold_skipped INT NOT NULL DEFAULT 0;

ALTER TABLE polls
    ADD COLUMN skipped INT NOT NULL DEFAULT 0;
