package io.pollster.transport;

import java.sql.Timestamp;
import java.time.Clock;
import java.util.List;

import io.pollster.system.NodeId;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/** Queues as rows of {@code queue_tasks}, claimed with {@code FOR UPDATE SKIP LOCKED}. */
@Component
class PostgresTransport implements Transport {

    private static final String ENQUEUE = """
            INSERT INTO queue_tasks (queue, payload, visible_at, enqueued_at)
            SELECT :queue, p, :now, :now
            FROM unnest(CAST(:payloads AS BYTEA[])) AS p
            """;

    private final JdbcClient jdbc;
    private final TransactionTemplate tx;
    private final Clock clock;
    private final NodeId node;
    private final QueueProperties properties;

    PostgresTransport(JdbcClient jdbc, TransactionTemplate tx, Clock clock, NodeId node, QueueProperties properties) {
        this.jdbc = jdbc;
        this.tx = tx;
        this.clock = clock;
        this.node = node;
        this.properties = properties;
    }

    @Override
    public void enqueue(String queue, List<byte[]> payloads) {
        if (payloads.isEmpty()) {
            return;
        }
        jdbc.sql(ENQUEUE)
                .param("queue", properties.name(queue))
                .param("payloads", payloads.toArray(byte[][]::new))
                .param("now", Timestamp.from(clock.instant()))
                .update();
    }

    @Override
    public QueueConsumer consume(String queue, TaskHandler handler, ConsumerSettings settings) {
        PostgresQueueConsumer consumer = new PostgresQueueConsumer(properties.name(queue), handler, settings,
                new PostgresQueue(jdbc, tx, clock, node), properties.pollInterval());
        consumer.start();
        return consumer;
    }
}
