package io.pollster.paging;

import java.time.Duration;

import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * {@link RequestSpacing} on {@code rate_slots}: one row per key holding when the next request may
 * go, moved forward by one interval per request taken. The database's clock decides, so nodes
 * with skewed clocks still share one schedule; one statement per request.
 */
final class PostgresRequestSpacing implements RequestSpacing {

    private static final String TAKE = """
            INSERT INTO rate_slots AS s (key, next_at)
            VALUES (:key, clock_timestamp() + :us * INTERVAL '1 microsecond')
            ON CONFLICT (key) DO UPDATE
            SET next_at = GREATEST(s.next_at, clock_timestamp()) + :us * INTERVAL '1 microsecond'
            WHERE s.next_at <= clock_timestamp()
            RETURNING 0
            """;

    private static final String WAIT = """
            SELECT GREATEST(0, CAST(EXTRACT(EPOCH FROM next_at - clock_timestamp()) * 1000 AS BIGINT))
            FROM rate_slots WHERE key = :key
            """;

    private static final String PAUSE = """
            INSERT INTO rate_slots AS s (key, next_at)
            VALUES (:key, clock_timestamp() + :us * INTERVAL '1 microsecond')
            ON CONFLICT (key) DO UPDATE
            SET next_at = GREATEST(s.next_at, EXCLUDED.next_at)
            """;

    private final JdbcClient jdbc;

    PostgresRequestSpacing(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    @Override
    public Duration take(String key, Duration interval) {
        long us = interval.toNanos() / 1_000;
        if (!jdbc.sql(TAKE).param("key", key).param("us", us).query(Integer.class).list().isEmpty()) {
            return Duration.ZERO;
        }
        long waitMs = jdbc.sql(WAIT).param("key", key).query(Long.class).optional().orElse(0L);
        return Duration.ofMillis(Math.max(1, waitMs));
    }

    @Override
    public java.util.Map<String, java.time.Instant> pausedUnder(String prefix) {
        java.util.Map<String, java.time.Instant> paused = new java.util.HashMap<>();
        // as time left, on the database's clock: a node whose clock is off still pauses as long
        java.time.Instant now = java.time.Instant.now();
        jdbc.sql("""
                SELECT key, CAST(EXTRACT(EPOCH FROM next_at - clock_timestamp()) * 1000000 AS BIGINT) AS left_us
                FROM rate_slots WHERE starts_with(key, :prefix) AND next_at > clock_timestamp()
                """)
                .param("prefix", prefix)
                .query(rs -> {
                    paused.put(rs.getString("key").substring(prefix.length()), now.plusNanos(rs.getLong("left_us") * 1_000));
                });
        return paused;
    }

    @Override
    public void forgetPast() {
        jdbc.sql("DELETE FROM rate_slots WHERE next_at < clock_timestamp() - INTERVAL '1 hour'").update();
    }

    @Override
    public void pause(String key, Duration pause) {
        jdbc.sql(PAUSE).param("key", key).param("us", pause.toNanos() / 1_000).update();
    }
}
