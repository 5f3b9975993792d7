package io.pollster.transport;

import java.sql.Timestamp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import io.pollster.system.NodeId;
import io.pollster.system.loop.Loops;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/** Queues as rows of {@code queue_tasks}, claimed with {@code FOR UPDATE SKIP LOCKED} (the default transport). */
@Component
@ConditionalOnProperty(name = "pollster.transport", havingValue = "postgres", matchIfMissing = true)
class PostgresTransport implements Transport {

    /** Tasks of any queues in one statement: one round trip, atomic without a transaction of its own. */
    private static final String INSERT = """
            INSERT INTO queue_tasks (queue, payload, visible_at, enqueued_at)
            SELECT q, p, :now, :now
            FROM unnest(CAST(:queues AS TEXT[]), CAST(:payloads AS BYTEA[])) AS t(q, p)
            """;

    private static final String STATS = """
            SELECT queue, count(*) AS depth, min(enqueued_at) AS oldest
            FROM queue_tasks
            GROUP BY queue
            ORDER BY queue
            """;

    private final JdbcClient jdbc;
    private final TransactionTemplate tx;
    private final Clock clock;
    private final NodeId node;
    private final QueueProperties properties;
    private final DeadLetterSink deadLetters;
    private final Loops loops;

    PostgresTransport(JdbcClient jdbc, TransactionTemplate tx, Clock clock, NodeId node, QueueProperties properties,
                      DeadLetterSink deadLetters, Loops loops) {
        this.deadLetters = deadLetters;
        this.loops = loops;
        this.jdbc = jdbc;
        this.tx = tx;
        this.clock = clock;
        this.node = node;
        this.properties = properties;
    }

    @Override
    public void enqueue(String queue, List<byte[]> payloads) {
        insert(Collections.nCopies(payloads.size(), properties.name(queue)), payloads);
    }

    /** One statement for every queue: all of them are enqueued, or none. */
    @Override
    public void send(Map<String, List<byte[]>> payloadsByQueue) {
        List<String> queues = new ArrayList<>();
        List<byte[]> payloads = new ArrayList<>();
        payloadsByQueue.forEach((queue, tasks) -> tasks.forEach(task -> {
            queues.add(properties.name(queue));
            payloads.add(task);
        }));
        insert(queues, payloads);
    }

    /** Inside the caller's transaction if there is one (so an enqueue commits with it), else on its own. */
    private void insert(List<String> queues, List<byte[]> payloads) {
        if (payloads.isEmpty()) {
            return;
        }
        jdbc.sql(INSERT)
                .param("queues", queues.toArray(String[]::new))
                .param("payloads", payloads.toArray(byte[][]::new))
                .param("now", Timestamp.from(clock.instant()))
                .update();
    }

    @Override
    public List<QueueStats> stats() {
        return jdbc.sql(STATS)
                .query((rs, n) -> new QueueStats(rs.getString("queue"), rs.getLong("depth"), rs.getTimestamp("oldest").toInstant()))
                .list();
    }

    @Override
    public QueueConsumer consume(String queue, TaskHandler handler, ConsumerSettings settings) {
        PostgresQueueConsumer consumer = new PostgresQueueConsumer(properties.name(queue), handler, settings,
                new PostgresQueue(jdbc, tx, clock, node, deadLetters), properties.pollInterval(), loops);
        consumer.start();
        return consumer;
    }
}
