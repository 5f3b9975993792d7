-- Live processes, for the cluster view: each upserts its row on a heartbeat and deletes it on shutdown.
CREATE TABLE nodes (
    id                TEXT        PRIMARY KEY,
    roles             TEXT        NOT NULL,
    started_at        TIMESTAMPTZ NOT NULL,
    last_heartbeat_at TIMESTAMPTZ NOT NULL
);

-- the dead-letters list of one owner, by type, newest first
CREATE INDEX dead_letters_owner_id ON dead_letters (owner_id, id);
