package io.pollster.output;

import java.sql.Timestamp;

import io.pollster.transport.QueueStats;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The deliveries waiting to be sent, as a queue like the transport's: shown by {@code GET /cluster}
 * and the {@code pollster_queue_depth{queue="deliveries"}} gauge. The oldest is the event of the
 * longest-waiting pending delivery.
 */
@Component
public class DeliveryQueue {

    public static final String NAME = "deliveries";

    private static final String STATS = """
            SELECT count(*) AS depth, min(e.occurred_at) AS oldest
            FROM deliveries d
            JOIN events e ON e.seq = d.event_seq
            WHERE d.state = 'pending'
            """;

    private final JdbcClient jdbc;

    DeliveryQueue(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    public QueueStats stats() {
        return jdbc.sql(STATS).query((rs, n) -> {
            Timestamp oldest = rs.getTimestamp("oldest");
            return new QueueStats(NAME, rs.getLong("depth"), oldest == null ? null : oldest.toInstant());
        }).single();
    }
}
