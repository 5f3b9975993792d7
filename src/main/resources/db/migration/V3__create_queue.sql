-- The PostgreSQL transport: one table for every queue. A task is claimable when visible_at has
-- passed; claiming pushes visible_at out by the visibility timeout, so a task whose consumer
-- died becomes claimable again by itself.
CREATE TABLE queue_tasks (
    id          BIGSERIAL   PRIMARY KEY,
    queue       TEXT        NOT NULL,
    payload     BYTEA       NOT NULL,
    attempts    INT         NOT NULL DEFAULT 0,
    visible_at  TIMESTAMPTZ NOT NULL,
    enqueued_at TIMESTAMPTZ NOT NULL,
    leased_by   TEXT,
    last_error  TEXT
);

CREATE INDEX queue_tasks_ready ON queue_tasks (queue, visible_at);

CREATE TABLE dead_letters (
    id        UUID        PRIMARY KEY,
    type      TEXT        NOT NULL CHECK (type IN ('poll', 'page', 'delivery', 'message')),
    job_id    UUID        REFERENCES jobs (id) ON DELETE CASCADE,
    owner_id  UUID        REFERENCES users (id) ON DELETE CASCADE,
    queue     TEXT,
    payload   BYTEA       NOT NULL,
    error     TEXT        NOT NULL,
    attempts  INT         NOT NULL,
    failed_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX dead_letters_owner ON dead_letters (owner_id, type, failed_at DESC);
CREATE INDEX dead_letters_job ON dead_letters (job_id);
