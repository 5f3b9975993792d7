-- Ingest workers of every node, so GET /workers shows them all from any API node. Each ingest
-- node upserts its own every few seconds and marks them retired when it stops.
CREATE TABLE ingest_workers (
    id         TEXT        PRIMARY KEY,
    node_id    TEXT        NOT NULL,
    shard      INT         NOT NULL,
    processed  BIGINT      NOT NULL,
    batches    BIGINT      NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    retired_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX ingest_workers_updated ON ingest_workers (updated_at);
