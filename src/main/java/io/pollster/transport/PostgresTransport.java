package io.pollster.transport;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.pollster.system.NodeClaims;
import io.pollster.system.NodeId;
import io.pollster.system.loop.Loops;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Queues as rows of {@code queue_tasks}, claimed with {@code FOR UPDATE SKIP LOCKED} (the default
 * transport). A claim carries the claiming node's id; the tasks of a node found dead are released
 * at once ({@link NodeClaims}). The RabbitMQ transport needs no such thing: the broker returns a
 * dead consumer's unacknowledged messages when its connection drops.
 */
@Component
@ConditionalOnProperty(name = "pollster.transport", havingValue = "postgres", matchIfMissing = true)
class PostgresTransport implements Transport, NodeClaims {

    private final PostgresQueue tasks;
    private final QueueProperties properties;
    private final Loops loops;
    /** This node's running consumers by queue name, woken when a task for them commits here. */
    private final Map<String, Set<PostgresQueueConsumer>> local = new ConcurrentHashMap<>();

    PostgresTransport(JdbcClient jdbc, TransactionTemplate tx, Clock clock, NodeId node, QueueProperties properties,
                      DeadLetterSink deadLetters, Loops loops) {
        this.tasks = new PostgresQueue(jdbc, tx, clock, node, deadLetters);
        this.loops = loops;
        this.properties = properties;
    }

    @Override
    public int releaseAll(List<String> nodeIds) {
        return tasks.releaseAll(nodeIds);
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

    /**
     * Inside the caller's transaction if there is one (so an enqueue commits with it), else on its
     * own. Once the tasks are committed this node's consumers of their queues claim at once; other
     * nodes find them within their poll interval.
     */
    private void insert(List<String> queues, List<byte[]> payloads) {
        tasks.insert(queues, payloads);
        Set<String> woken = new HashSet<>(queues);
        if (woken.stream().noneMatch(local::containsKey)) {
            return;
        }
        Runnable wake = () -> woken.forEach(queue -> local.getOrDefault(queue, Set.of()).forEach(PostgresQueueConsumer::wake));
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    wake.run();
                }
            });
        } else {
            wake.run();
        }
    }

    @Override
    public List<QueueStats> stats() {
        return tasks.stats();
    }

    @Override
    public QueueConsumer consume(String queue, TaskHandler handler, ConsumerSettings settings) {
        String name = properties.name(queue);
        Set<PostgresQueueConsumer> consumers = local.computeIfAbsent(name, q -> ConcurrentHashMap.newKeySet());
        PostgresQueueConsumer[] self = new PostgresQueueConsumer[1];
        self[0] = new PostgresQueueConsumer(name, handler, settings, tasks, properties.pollInterval(), loops,
                () -> consumers.remove(self[0]));
        consumers.add(self[0]);
        self[0].start();
        return self[0];
    }
}
