-- A paginated job's fire is a run over its pages. One run of a job runs at a time (the partial
-- unique index): a fire during a run starts nothing. Counters are kept on the run's row, which
-- every page's outcome locks first, so a run's pages finish one after another in the database
-- while they are fetched in parallel.
CREATE TABLE runs (
    id            UUID        PRIMARY KEY,
    job_id        UUID        NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    owner_id      UUID        NOT NULL,
    fire_at       TIMESTAMPTZ,
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ,
    status        TEXT        NOT NULL DEFAULT 'running',
    pagination    TEXT        NOT NULL,
    settings      JSONB,
    page_size     INT,
    pages_total   INT,
    pages_planned INT         NOT NULL DEFAULT 1,
    pages_queued  INT         NOT NULL DEFAULT 1,
    pages_done    INT         NOT NULL DEFAULT 0,
    pages_failed  INT         NOT NULL DEFAULT 0,
    pages_changed INT         NOT NULL DEFAULT 0,
    follows       INT         NOT NULL DEFAULT 0,
    items_created INT         NOT NULL DEFAULT 0,
    items_changed INT         NOT NULL DEFAULT 0,
    note          TEXT,
    error         TEXT,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX runs_one_running ON runs (job_id) WHERE status = 'running';
CREATE INDEX runs_by_job ON runs (job_id, id DESC);
CREATE INDEX runs_running ON runs (updated_at) WHERE status = 'running';

-- A run's pages: pending (planned), queued (a task is on the page queue: in flight), done or
-- failed. target is the cursor or URL of a sequential type's page. An item's detail fetch
-- (items.follow) is a page numbered above 1,000,000 (maxPages' limit), with the item's key and
-- the hash of the item it was planned for.
CREATE TABLE run_pages (
    run_id      UUID        NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    number      INT         NOT NULL,
    target      TEXT,
    item_key    TEXT,
    state       TEXT        NOT NULL DEFAULT 'pending',
    attempts    INT         NOT NULL DEFAULT 0,
    http_status INT,
    error       TEXT,
    hash        BYTEA,
    finished_at TIMESTAMPTZ,
    PRIMARY KEY (run_id, number)
);

CREATE INDEX run_pages_pending ON run_pages (run_id, number) WHERE state = 'pending';
-- a cursor or next URL seen twice in a run is a loop
CREATE INDEX run_pages_targets ON run_pages (run_id, md5(target)) WHERE target IS NOT NULL;

-- The hash of each page number's last answer, per job: an unchanged page brings no new data.
CREATE TABLE job_pages (
    job_id UUID  NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    number INT   NOT NULL,
    hash   BYTEA NOT NULL,
    PRIMARY KEY (job_id, number)
);

-- A job's items by key: the hash of their normalised content decides new, changed or unchanged;
-- content is the item (or its followed detail) as last seen, compressed.
CREATE TABLE items (
    job_id          UUID        NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    key             TEXT        NOT NULL,
    hash            BYTEA       NOT NULL,
    content         BYTEA       NOT NULL,
    content_type    TEXT        NOT NULL DEFAULT 'application/json',
    first_seen_at   TIMESTAMPTZ NOT NULL,
    last_seen_at    TIMESTAMPTZ NOT NULL,
    last_changed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (job_id, key)
);

-- Cluster-wide request spacing (a job's rateLimit, a host's 429): the earliest time the next
-- request under the key may go.
CREATE TABLE rate_slots (
    key     TEXT        PRIMARY KEY,
    next_at TIMESTAMPTZ NOT NULL
);
