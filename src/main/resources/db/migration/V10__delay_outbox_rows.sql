-- A task put back on a RabbitMQ queue with a delay (a retry, a deferral) waits in the outbox
-- until it is due; the relay publishes only due rows.
ALTER TABLE outbox
    ADD COLUMN available_at TIMESTAMPTZ;

UPDATE outbox SET available_at = created_at;

ALTER TABLE outbox
    ALTER COLUMN available_at SET NOT NULL;

CREATE INDEX outbox_available ON outbox (available_at);
