package io.pollster.transport.rabbit;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;

import org.springframework.jdbc.core.simple.JdbcClient;

/** The broker queues Pollster uses ({@code transport_queues}), and how far their consumers have got. */
final class QueueRegistry {

    private static final String REGISTER = """
            INSERT INTO transport_queues (name)
            VALUES (:name)
            ON CONFLICT (name) DO NOTHING
            """;

    private static final String ADVANCE_HEAD = """
            UPDATE transport_queues
            SET head_enqueued_at = GREATEST(head_enqueued_at, :at)
            WHERE name = :name
            """;

    private static final String ALL = """
            SELECT name, head_enqueued_at
            FROM transport_queues
            ORDER BY name
            """;

    private final JdbcClient jdbc;

    QueueRegistry(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    record Registered(String name, Instant headEnqueuedAt) {
    }

    void register(String queue) {
        jdbc.sql(REGISTER).param("name", queue).update();
    }

    void advanceHead(String queue, Instant enqueuedAt) {
        jdbc.sql(ADVANCE_HEAD).param("name", queue).param("at", Timestamp.from(enqueuedAt)).update();
    }

    List<Registered> all() {
        return jdbc.sql(ALL)
                .query((rs, n) -> {
                    Timestamp head = rs.getTimestamp("head_enqueued_at");
                    return new Registered(rs.getString("name"), head == null ? null : head.toInstant());
                })
                .list();
    }
}
