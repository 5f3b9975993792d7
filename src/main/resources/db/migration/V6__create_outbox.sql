-- The RabbitMQ transport's outbox: tasks enqueued in a transaction wait here until a relay has
-- published them with confirms, then they are deleted. Relays claim rows with SKIP LOCKED.
CREATE TABLE outbox (
    id         BIGSERIAL   PRIMARY KEY,
    queue      TEXT        NOT NULL,
    payload    BYTEA       NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- Broker queues Pollster has declared, for the cluster view. head_enqueued_at is when the newest
-- task a consumer has taken was enqueued: everything still waiting came after it.
CREATE TABLE transport_queues (
    name             TEXT        PRIMARY KEY,
    head_enqueued_at TIMESTAMPTZ
);
