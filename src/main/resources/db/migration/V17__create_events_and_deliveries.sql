-- What happened to a job, told to the outside. An event is inserted in the transaction of what it
-- reports (a version, a poll's outcome), with one delivery per output of its job: a crash can
-- neither lose an event nor leave one for a version that was rolled back (transactional outbox).
-- seq orders a job's events and pages them; id is the event's name outside (webhook-id).
-- tx_id is the inserting transaction: the live stream reads in (tx_id, seq) order only what
-- transactions older than every running one wrote, so a slow commit can never slip in behind it.
CREATE TABLE events (
    seq         BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          UUID        NOT NULL UNIQUE,
    tx_id       XID8        NOT NULL DEFAULT pg_current_xact_id(),
    job_id      UUID        NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    owner_id    UUID        NOT NULL,
    type        TEXT        NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    data        JSONB       NOT NULL
);

CREATE INDEX events_by_job ON events (job_id, seq);
CREATE INDEX events_by_owner ON events (owner_id, tx_id, seq);

-- One event sent to one output of its job (output = its position in the job's outputs). A job's
-- output is a lane: its next pending delivery waits until the one before it succeeded or failed
-- for good. A sender leases a delivery (lease, leased_until) for the length of one attempt; a
-- sender that died leaves a lease that lapses, and another takes the delivery over.
CREATE TABLE deliveries (
    id              BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_seq       BIGINT      NOT NULL REFERENCES events (seq) ON DELETE CASCADE,
    job_id          UUID        NOT NULL,
    output          INT         NOT NULL,
    state           TEXT        NOT NULL DEFAULT 'pending',
    attempts        INT         NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    lease           UUID,
    leased_until    TIMESTAMPTZ,
    last_status     INT,
    last_error      TEXT,
    finished_at     TIMESTAMPTZ,
    UNIQUE (event_seq, output)
);

CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX deliveries_lane ON deliveries (job_id, output, id) WHERE state = 'pending';
-- every delivery is updated a few times and leaves dead entries in the two indexes above, which a
-- lane's next claim walks past: vacuum early rather than at the default fifth of the table
ALTER TABLE deliveries SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 500,
                            autovacuum_vacuum_insert_scale_factor = 0.05);

-- What an output keeps beside its definition (which is in the job's spec): its signing secret,
-- sealed like the secret headers; its recent sends (a sliding window for its rate, shared by every
-- node); and whether its receiver told it to stop (410 Gone).
CREATE TABLE job_outputs (
    job_id         UUID          NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    output         INT           NOT NULL,
    secret         BYTEA,
    sends          TIMESTAMPTZ[] NOT NULL DEFAULT '{}',
    stopped_at     TIMESTAMPTZ,
    stopped_reason TEXT,
    PRIMARY KEY (job_id, output)
);

-- job.stale: when the poller last reported a job's quiet spell (once per spell: a change starts a
-- new one), and the jobs that ask for it, found by index rather than by reading every definition.
ALTER TABLE job_polls ADD COLUMN stale_reported_at TIMESTAMPTZ;
CREATE INDEX jobs_expecting_change ON jobs (id) WHERE (spec ->> 'expectChangeWithin') IS NOT NULL AND status = 'ACTIVE';
