package io.pollster.transport.rabbit;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import io.pollster.transport.ConsumerSettings;
import io.pollster.transport.QueueConsumer;
import io.pollster.transport.TaskHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes one quorum queue with manual acknowledgements, handling each message on a virtual
 * thread (at most {@code concurrency} at once; the broker keeps up to {@code prefetch} in hand).
 * A message is acknowledged only after its handler returned. A handler failure is retried: the
 * message is held for the backoff, then returned to the queue (the broker counts the return in
 * {@code x-delivery-count}); at the last attempt it becomes a dead letter and is acknowledged.
 * A message of an unknown schema version is rejected to the queue's dead-letter queue, which
 * this consumer also drains into {@code dead_letters} — as it does with messages the broker
 * dead-lettered after {@code x-delivery-limit} deliveries whose consumers died.
 *
 * <p>Stop: cancel the subscriptions, let running handlers finish within the grace period, then
 * close the channels, which hands every unacknowledged message back to the broker at once.
 */
final class RabbitQueueConsumer implements QueueConsumer {

    private static final Logger log = LoggerFactory.getLogger(RabbitQueueConsumer.class);
    private static final Duration HEAD_FLUSH = Duration.ofSeconds(2);
    private static final int DEAD_PREFETCH = 50;

    private final String queue;
    private final TaskHandler handler;
    private final ConsumerSettings settings;
    private final ConsumerConnection connection;
    private final RabbitTopology topology;
    private final RabbitDeadLetters deadLetters;
    private final QueueRegistry registry;
    private final int prefetch;
    private final Duration recoveryInterval;
    private final Semaphore slots;
    private final ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().factory());
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicReference<Instant> head = new AtomicReference<>();
    private final Object pause = new Object();
    private volatile Channel tasks;
    private volatile Channel dead;
    private volatile String taskTag;
    private volatile String deadTag;
    private Thread supervisor;

    RabbitQueueConsumer(String queue, TaskHandler handler, ConsumerSettings settings, ConsumerConnection connection,
                        RabbitTopology topology, RabbitDeadLetters deadLetters, QueueRegistry registry,
                        RabbitTransportProperties properties) {
        this.queue = queue;
        this.handler = handler;
        this.settings = settings;
        this.connection = connection;
        this.topology = topology;
        this.deadLetters = deadLetters;
        this.registry = registry;
        this.prefetch = Math.max(properties.prefetch(), settings.concurrency());
        this.recoveryInterval = properties.recoveryInterval();
        this.slots = new Semaphore(settings.concurrency(), true); // fair: messages start in the order they came
    }

    /** Subscribes in the background, retrying until the broker answers; from then on the client recovers by itself. */
    void start() {
        if (running.compareAndSet(false, true)) {
            supervisor = Thread.ofVirtual().name("rabbit-" + queue).start(this::superviseUntilStopped);
        }
    }

    private void superviseUntilStopped() {
        for (int failures = 0; running.get() && tasks == null; failures++) {
            try {
                subscribe();
            } catch (IOException | TimeoutException | RuntimeException e) {
                if (failures == 0) {
                    log.warn("Cannot consume {} yet; trying every {} until the broker answers: {}", queue, recoveryInterval, e.toString());
                }
                sleep(recoveryInterval);
            }
        }
        Instant flushed = null;
        while (running.get()) {
            sleep(HEAD_FLUSH);
            flushed = flushHead(flushed);
        }
    }

    private void subscribe() throws IOException, TimeoutException {
        topology.declare(queue);
        Channel taskChannel = null;
        Channel deadChannel = null;
        try {
            taskChannel = connection.get().createChannel();
            deadChannel = connection.get().createChannel();
            taskChannel.basicQos(prefetch);
            deadChannel.basicQos(DEAD_PREFETCH);
            taskTag = taskChannel.basicConsume(queue, false, new Tasks(taskChannel));
            deadTag = deadChannel.basicConsume(RabbitTopology.deadQueue(queue), false, new DeadLetters(deadChannel));
        } catch (IOException | TimeoutException | RuntimeException e) {
            close(taskChannel);
            close(deadChannel);
            throw e;
        }
        tasks = taskChannel;
        dead = deadChannel;
        log.info("Consuming {} ({} at once, prefetch {})", queue, settings.concurrency(), prefetch);
    }

    /** The queue's messages: each handled on its own virtual thread. */
    private final class Tasks extends DefaultConsumer {

        Tasks(Channel channel) {
            super(channel);
        }

        @Override
        public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
            long delivery = envelope.getDeliveryTag();
            int schema = WireFormat.schema(properties);
            if (schema != WireFormat.SCHEMA_VERSION) {
                log.warn("Rejecting a message of schema version {} on {} to its dead-letter queue (this node reads {})",
                        schema, queue, WireFormat.SCHEMA_VERSION);
                settle(getChannel(), delivery, Settle.REJECT);
                return;
            }
            Instant enqueuedAt = WireFormat.enqueuedAt(properties);
            if (enqueuedAt != null) {
                head.accumulateAndGet(enqueuedAt, (a, b) -> a == null || b.isAfter(a) ? b : a);
            }
            Channel channel = getChannel();
            int attempt = WireFormat.attempt(properties);
            // the wait for a slot happens on the message's own virtual thread: the client's dispatch
            // threads are shared by every channel of the connection and must never block
            try {
                handlers.execute(() -> {
                    if (!acquireSlot()) {
                        return; // stopping: the message goes back to the queue when the channel closes
                    }
                    try {
                        handle(channel, delivery, properties.getMessageId(), body, attempt);
                    } finally {
                        slots.release();
                    }
                });
            } catch (RejectedExecutionException stopping) {
                // arrived as the consumer stopped: it goes back to the queue when the channel closes
            }
        }

        @Override
        public void handleShutdownSignal(String tag, ShutdownSignalException signal) {
            if (running.get() && !signal.isInitiatedByApplication()) {
                log.warn("Lost the channel consuming {} ({}); the client reconnects and resumes", queue, signal.getMessage());
            }
        }
    }

    private boolean acquireSlot() {
        try {
            while (!slots.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                if (!running.get()) {
                    return false;
                }
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void handle(Channel channel, long delivery, String messageId, byte[] body, int attempt) {
        try {
            handler.handle(new TaskHandler.Delivery(body, attempt));
            settle(channel, delivery, Settle.ACK);
        } catch (Exception e) {
            String error = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (attempt >= settings.maxAttempts()) {
                log.warn("Message on {} failed {} times; dead-lettering it: {}", queue, attempt, error);
                try {
                    deadLetters.record(queue, messageId, handler.describe(body), body, error, attempt);
                    settle(channel, delivery, Settle.ACK);
                } catch (RuntimeException bookkeeping) {
                    // back to the queue: the next delivery tries the dead letter again
                    log.warn("Could not record the dead letter of a message on {}: {}", queue, bookkeeping.toString());
                    settle(channel, delivery, Settle.REQUEUE);
                }
            } else {
                Duration delay = settings.retryBackoff().multipliedBy(1L << Math.min(attempt - 1, 10));
                log.info("Message on {} failed (attempt {}); retrying in {}: {}", queue, attempt, delay, error);
                requeueLater(channel, delivery, delay);
            }
        }
    }

    /** The dead-letter queue: what the broker dead-lettered, recorded where the API shows it. */
    private final class DeadLetters extends DefaultConsumer {

        DeadLetters(Channel channel) {
            super(channel);
        }

        @Override
        public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
            try {
                deadLetters.record(queue, properties.getMessageId(), handler.describe(body), body, reason(properties),
                        WireFormat.attempt(properties));
                settle(getChannel(), envelope.getDeliveryTag(), Settle.ACK);
            } catch (RuntimeException e) {
                log.warn("Could not record a dead letter of {}; it stays on {}: {}", queue, RabbitTopology.deadQueue(queue), e.toString());
                requeueLater(getChannel(), envelope.getDeliveryTag(), recoveryInterval);
            }
        }
    }

    /** Hands a message back to the queue after {@code delay}. */
    private void requeueLater(Channel channel, long delivery, Duration delay) {
        try {
            retries.schedule(() -> settle(channel, delivery, Settle.REQUEUE), delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException stopping) {
            // a handler interrupted by stop() fails after the retries were shut down: closing the channel hands it back
        }
    }

    private static String reason(AMQP.BasicProperties properties) {
        int schema = WireFormat.schema(properties);
        if (schema != WireFormat.SCHEMA_VERSION) {
            return "unknown message schema version " + (schema < 0 ? "(none)" : schema) + "; this Pollster reads version "
                    + WireFormat.SCHEMA_VERSION;
        }
        return switch (WireFormat.deathReason(properties)) {
            case "delivery_limit" -> "delivered too many times without an acknowledgement (x-delivery-limit): its consumers kept failing";
            case "rejected" -> "rejected by a consumer";
            case String other -> "dead-lettered by the broker: " + other;
        };
    }

    private enum Settle { ACK, REQUEUE, REJECT }

    /**
     * A settlement on a channel that has since been closed or recovered is dropped: the broker has
     * already put the message back, and delivers it again.
     */
    private void settle(Channel channel, long delivery, Settle settle) {
        try {
            switch (settle) {
                case ACK -> channel.basicAck(delivery, false);
                case REQUEUE -> channel.basicNack(delivery, false, true);
                case REJECT -> channel.basicReject(delivery, false);
            }
        } catch (IOException | RuntimeException e) {
            log.debug("Could not {} a message on {} (it is delivered again): {}", settle, queue, e.toString());
        }
    }

    private Instant flushHead(Instant flushed) {
        Instant current = head.get();
        if (current == null || current.equals(flushed)) {
            return flushed;
        }
        try {
            registry.advanceHead(queue, current);
            return current;
        } catch (RuntimeException e) {
            log.debug("Could not record how far {} has got: {}", queue, e.toString());
            return flushed;
        }
    }

    /** Waits, or less when stopping; never by interrupting, which would break a JDBC connection in use. */
    private void sleep(Duration duration) {
        synchronized (pause) {
            if (running.get()) {
                try {
                    pause.wait(duration.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    @Override
    public void stop(Duration grace) {
        if (!running.compareAndSet(true, false)) {
            return;
        }
        synchronized (pause) {
            pause.notifyAll();
        }
        try {
            supervisor.join(Duration.ofSeconds(5)); // a subscription in progress completes, so it is closed below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        cancel(tasks, taskTag);
        cancel(dead, deadTag);
        handlers.shutdown();
        try {
            if (!handlers.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                log.info("Handing the unfinished messages of {} back to the broker", queue);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        retries.shutdownNow();
        close(tasks);
        close(dead);
        handlers.shutdownNow();
        flushHead(null);
    }

    private void cancel(Channel channel, String tag) {
        if (channel == null || tag == null) {
            return;
        }
        try {
            channel.basicCancel(tag);
        } catch (IOException | RuntimeException e) {
            log.debug("Cancelling the subscription to {}: {}", queue, e.toString());
        }
    }

    private void close(Channel channel) {
        if (channel == null) {
            return;
        }
        try {
            channel.close();
        } catch (IOException | TimeoutException | RuntimeException e) {
            log.debug("Closing a channel of {}: {}", queue, e.toString());
        }
    }
}
