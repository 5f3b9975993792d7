package io.pollster.transport;

import java.util.List;

/**
 * The queue seam between the parts of Pollster: the scheduler enqueues poll tasks, pollers
 * consume them. Delivery is at least once; a task whose handler fails is retried with backoff and
 * becomes a dead letter after its last attempt — never an endless requeue.
 */
public interface Transport {

    /**
     * Hands tasks to a queue. They are delivered if and only if the caller's database transaction
     * commits (the PostgreSQL transport writes them in it; a broker transport uses an outbox), so
     * a process that dies between deciding to enqueue and committing loses nothing and sends nothing.
     */
    void enqueue(String queue, List<byte[]> payloads);

    /** Starts delivering the queue's tasks to {@code handler} until the returned consumer is stopped. */
    QueueConsumer consume(String queue, TaskHandler handler, ConsumerSettings settings);
}
