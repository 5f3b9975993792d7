-- Items and their followed details count toward their owner's storage quota, as bodies do: each
-- item's size (its content as received: the page's item, or its followed detail) is kept on its
-- row, and the job's stored_bytes holds its bodies' and its items' sizes together.
ALTER TABLE items
    ADD COLUMN size BIGINT NOT NULL DEFAULT 0;

-- rows of an older release: their stored (compressed) length is the best measure there is
UPDATE items
SET size = octet_length(content);

UPDATE jobs j
SET stored_bytes = j.stored_bytes + s.bytes
FROM (SELECT job_id, sum(size) AS bytes FROM items GROUP BY job_id) s
WHERE s.job_id = j.id;

