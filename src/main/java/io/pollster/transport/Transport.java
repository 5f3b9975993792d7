package io.pollster.transport;

import java.util.List;
import java.util.Map;

/**
 * The queue seam between the parts of Pollster: the scheduler enqueues poll tasks, pollers
 * consume them; the ingest API sends pushed messages, ingest workers consume them. Delivery is at
 * least once; a task whose handler fails is retried with backoff and becomes a dead letter after
 * its last attempt — never an endless requeue. {@code TransportContractTest} states the contract
 * once and runs it against every backend.
 */
public interface Transport {

    /**
     * Hands tasks to a queue. They are delivered if and only if the caller's database transaction
     * commits (the PostgreSQL transport writes them in it; the RabbitMQ transport writes them to an
     * outbox in it and relays them after the commit), so a process that dies between deciding to
     * enqueue and committing loses nothing and sends nothing.
     */
    void enqueue(String queue, List<byte[]> payloads);

    /**
     * Hands tasks to their queues now, outside any transaction, and returns once every one of them
     * is durable (committed, or confirmed by the broker). For callers that answer "accepted" only
     * after that, such as {@code POST /messages}. If it throws, some of the tasks may have been
     * delivered all the same (at least once), but none was acknowledged to the caller.
     */
    void send(Map<String, List<byte[]>> payloadsByQueue);

    /** Starts delivering the queue's tasks to {@code handler} until the returned consumer is stopped. */
    QueueConsumer consume(String queue, TaskHandler handler, ConsumerSettings settings);

    /** Every queue this transport serves, with what waits on it, for the cluster view and metrics. */
    List<QueueStats> stats();
}
