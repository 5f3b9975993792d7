package io.pollster.transport;

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

    private final PostgresQueue tasks;
    private final QueueProperties properties;
    private final Loops loops;

    PostgresTransport(JdbcClient jdbc, TransactionTemplate tx, Clock clock, NodeId node, QueueProperties properties,
                      DeadLetterSink deadLetters, Loops loops) {
        this.tasks = new PostgresQueue(jdbc, tx, clock, node, deadLetters);
        this.loops = loops;
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
        tasks.insert(queues, payloads);
    }

    @Override
    public List<QueueStats> stats() {
        return tasks.stats();
    }

    @Override
    public QueueConsumer consume(String queue, TaskHandler handler, ConsumerSettings settings) {
        PostgresQueueConsumer consumer = new PostgresQueueConsumer(properties.name(queue), handler, settings,
                tasks, properties.pollInterval(), loops);
        consumer.start();
        return consumer;
    }
}
