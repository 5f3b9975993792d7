package io.pollster.transport.rabbit;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;

import io.pollster.transport.QueueStats;
import org.springframework.jdbc.core.simple.JdbcClient;

/** The {@code outbox} table: tasks committed with their transaction, waiting to be published. */
final class Outbox {

    static final String NAME = "outbox";

    private static final String INSERT = """
            INSERT INTO outbox (queue, payload, created_at, available_at)
            SELECT :queue, p, :now, :availableAt
            FROM unnest(CAST(:payloads AS BYTEA[])) AS p
            """;

    /** Due rows, locked until the relay's transaction ends: other relays skip these rows meanwhile. */
    private static final String CLAIM = """
            SELECT id, queue, payload, created_at
            FROM outbox
            WHERE available_at <= :now
            ORDER BY id
            LIMIT :limit
            FOR UPDATE SKIP LOCKED
            """;

    private static final String DELETE = """
            DELETE FROM outbox
            WHERE id = ANY(:ids)
            """;

    private static final String STATS = """
            SELECT count(*) AS depth, min(created_at) AS oldest
            FROM outbox
            """;

    private final JdbcClient jdbc;

    Outbox(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    record Row(long id, String queue, byte[] payload, Instant createdAt) {
        /** Stable across re-publishes of the same row, so a dead letter of it is recorded once. */
        String messageId() {
            return "outbox-" + id;
        }
    }

    void insert(String queue, List<byte[]> payloads, Instant now) {
        insert(queue, payloads, now, now);
    }

    /** Rows published once {@code availableAt} has come: a task put back for later. */
    void insert(String queue, List<byte[]> payloads, Instant now, Instant availableAt) {
        jdbc.sql(INSERT)
                .param("queue", queue)
                .param("payloads", payloads.toArray(byte[][]::new))
                .param("now", Timestamp.from(now))
                .param("availableAt", Timestamp.from(availableAt))
                .update();
    }

    /** Must run in a transaction, which holds the rows until it deletes them. */
    List<Row> claim(int limit, Instant now) {
        return jdbc.sql(CLAIM)
                .param("limit", limit)
                .param("now", Timestamp.from(now))
                .query((rs, n) -> new Row(rs.getLong("id"), rs.getString("queue"), rs.getBytes("payload"),
                        rs.getTimestamp("created_at").toInstant()))
                .list();
    }

    void delete(List<Row> rows) {
        jdbc.sql(DELETE).param("ids", rows.stream().map(Row::id).toArray(Long[]::new)).update();
    }

    QueueStats stats() {
        return jdbc.sql(STATS)
                .query((rs, n) -> {
                    Timestamp oldest = rs.getTimestamp("oldest");
                    return new QueueStats(NAME, rs.getLong("depth"), oldest == null ? null : oldest.toInstant());
                })
                .single();
    }
}
