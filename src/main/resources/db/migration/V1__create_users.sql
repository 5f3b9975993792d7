CREATE TABLE users (
    id         UUID        PRIMARY KEY,
    name       TEXT        NOT NULL UNIQUE,
    token_hash BYTEA       NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL
);
