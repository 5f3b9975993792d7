-- Bodies are stored once per job and content hash (A -> B -> A stores two bodies, three versions).
CREATE TABLE bodies (
    job_id       UUID    NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    hash         BYTEA   NOT NULL,
    content      BYTEA   NOT NULL,
    size         BIGINT  NOT NULL,
    PRIMARY KEY (job_id, hash)
);

CREATE TABLE versions (
    id           UUID        PRIMARY KEY,
    job_id       UUID        NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    hash         BYTEA       NOT NULL,
    fetched_at   TIMESTAMPTZ NOT NULL,
    http_status  INT         NOT NULL,
    content_type TEXT,
    size         BIGINT      NOT NULL
);

CREATE INDEX versions_job ON versions (job_id, id DESC);

-- Closed poll-history entries; the open one is in jobs.fold_*.
CREATE TABLE polls (
    id           BIGSERIAL   PRIMARY KEY,
    job_id       UUID        NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    started_at   TIMESTAMPTZ NOT NULL,
    last_at      TIMESTAMPTZ NOT NULL,
    count        INT         NOT NULL,
    duration_ms  BIGINT      NOT NULL,
    http_status  INT,
    outcome      TEXT        NOT NULL,
    attempts     INT         NOT NULL,
    version_id   UUID,
    error        TEXT
);

CREATE INDEX polls_job ON polls (job_id, id DESC);
