package io.pollster.transport.rabbit;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Envelope;
import io.pollster.system.loop.BackgroundLoop;
import io.pollster.system.loop.Loops;
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
 * <p>Recovery: after a connection failure the client's automatic recovery reopens both channels
 * and re-registers their consumers by itself. The broker can also end one subscription without
 * touching the connection — close its channel (a channel error, or a delivery held longer than
 * its {@code consumer_timeout}) or cancel the consumer (the queue was deleted) — which the client
 * does not recover: the consumer then subscribes again on a fresh channel after
 * {@code recoveryInterval}, retrying until it works. A handler still running for a message of a
 * closed channel settles nothing: the message went back to the queue and is delivered again.
 *
 * <p>Stop: cancel the subscriptions, let running handlers finish within the grace period, hand
 * what is left back to the queue without spending an attempt ({@link HeldMessages}), then close
 * the channels.
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
    private final MessageHandling handling;
    private final HeldMessages held;
    private final Semaphore slots;
    private final ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicReference<Instant> head = new AtomicReference<>();
    private final RabbitSubscription tasks;
    private final RabbitSubscription dead;
    private final BackgroundLoop supervisor;
    /** The supervisor's own: whether it ever subscribed, its failures in a row, how far the queue has got. */
    private boolean subscribed;
    private int failures;
    private Instant flushed;
    /** When a subscription was lost ({@link System#nanoTime()}); 0 when none is. */
    private volatile long lostAtNanos;

    RabbitQueueConsumer(String queue, TaskHandler handler, ConsumerSettings settings, ConsumerConnection connection,
                        RabbitTopology topology, RabbitDeadLetters deadLetters, QueueRegistry registry,
                        RabbitTransportProperties properties, MessageHandling.Later later, HeldMessages held, Loops loops) {
        this.queue = queue;
        this.held = held;
        this.supervisor = loops.create("rabbit-" + queue, properties.recoveryInterval(), this::supervise);
        this.handling = new MessageHandling(queue, handler, settings, deadLetters, later);
        this.handler = handler;
        this.settings = settings;
        this.connection = connection;
        this.topology = topology;
        this.deadLetters = deadLetters;
        this.registry = registry;
        this.prefetch = Math.max(properties.prefetch(), settings.concurrency());
        this.recoveryInterval = properties.recoveryInterval();
        this.slots = new Semaphore(settings.concurrency(), true); // fair: messages start in the order they came
        this.tasks = new RabbitSubscription(queue, prefetch, connection, recoveryInterval, running::get, this::onTask, this::lost, true);
        this.dead = new RabbitSubscription(RabbitTopology.deadQueue(queue), DEAD_PREFETCH, connection, recoveryInterval, running::get,
                this::onDeadLetter, this::lost, false);
    }

    /**
     * Subscribes in the background, retrying until the broker answers; from then on the client
     * recovers connection failures by itself, and this consumer subscribes again when the broker
     * ends a subscription on its own.
     */
    void start() {
        if (running.compareAndSet(false, true)) {
            supervisor.start();
        }
    }

    /**
     * One round of the supervisor: subscribes what is lost — at once the first time, else
     * {@code recoveryInterval} after the loss, so that a broker closing channels in a loop is not
     * hammered — and records how far the queue has got. Only the supervisor's thread runs this.
     */
    private Duration supervise() {
        if (lost()) {
            long sinceLoss = lostAtNanos == 0 ? Long.MAX_VALUE : System.nanoTime() - lostAtNanos;
            if (subscribed && sinceLoss < recoveryInterval.toNanos()) {
                return Duration.ofNanos(recoveryInterval.toNanos() - sinceLoss);
            }
            subscribe();
        }
        flushed = flushHead(flushed);
        return lost() ? recoveryInterval : HEAD_FLUSH;
    }

    /** Subscribes whichever of the two subscriptions is not consuming; one try, the next round tries again. */
    private void subscribe() {
        try {
            topology.declare(queue);
            for (RabbitSubscription subscription : List.of(tasks, dead)) {
                if (!subscription.consuming()) {
                    subscription.subscribe();
                }
            }
            log.info(subscribed ? "Consuming {} again ({} at once, prefetch {})" : "Consuming {} ({} at once, prefetch {})",
                    queue, settings.concurrency(), prefetch);
            subscribed = true;
            failures = 0;
            lostAtNanos = 0;
        } catch (IOException | TimeoutException | RuntimeException e) {
            if (failures++ == 0) {
                if (subscribed) { // the incident itself was logged at WARN
                    log.info("Cannot consume {} again yet; trying every {}: {}", queue, recoveryInterval, e.toString());
                } else {
                    log.warn("Cannot consume {} yet; trying every {} until the broker answers: {}", queue, recoveryInterval,
                            e.toString());
                }
            } else {
                log.debug("Cannot consume {} yet; trying again in {}: {}", queue, recoveryInterval, e.toString());
            }
        }
    }

    private boolean lost() {
        return !tasks.consuming() || !dead.consuming();
    }

    /** A message of the queue: handled on its own virtual thread. */
    private void onTask(Channel channel, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
        long delivery = envelope.getDeliveryTag();
        int schema = WireFormat.schema(properties);
        if (schema != WireFormat.SCHEMA_VERSION) {
            log.warn("Rejecting a message of schema version {} on {} to its dead-letter queue (this node reads {})",
                    schema, queue, WireFormat.SCHEMA_VERSION);
            handling.settle(channel, delivery, MessageHandling.Settle.REJECT);
            return;
        }
        Instant enqueuedAt = WireFormat.enqueuedAt(properties);
        if (enqueuedAt != null) {
            head.accumulateAndGet(enqueuedAt, (a, b) -> a == null || b.isAfter(a) ? b : a);
        }
        HeldMessages.Held message = held.hold(channel, delivery, properties, body, WireFormat.attempt(properties));
        // the wait for a slot happens on the message's own virtual thread: the client's dispatch
        // threads are shared by every channel of the connection and must never block
        try {
            handlers.execute(() -> {
                if (!acquireSlot()) {
                    return; // stopping: the message is handed back
                }
                try {
                    if (channel.isOpen()) {
                        handling.handle(message);
                    } else {
                        message.take(); // the channel closed while it waited: the broker has it back
                    }
                } finally {
                    slots.release();
                }
            });
        } catch (RejectedExecutionException stopping) {
            // arrived as the consumer stopped: it is handed back
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

    /** A message of the dead-letter queue: what the broker dead-lettered, recorded where the API shows it. */
    private void onDeadLetter(Channel channel, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
        try {
            deadLetters.record(queue, properties.getMessageId(), handler, body, reason(properties), WireFormat.attempt(properties));
            handling.settle(channel, envelope.getDeliveryTag(), MessageHandling.Settle.ACK);
        } catch (RuntimeException e) {
            log.warn("Could not record a dead letter of {}; it stays on {}: {}", queue, RabbitTopology.deadQueue(queue), e.toString());
            handling.requeueLater(channel, envelope.getDeliveryTag(), recoveryInterval);
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

    /** A subscription was lost: the supervisor subscribes it again after {@code recoveryInterval}. */
    private void lost(boolean queueMayBeGone) {
        if (queueMayBeGone) {
            topology.forget(List.of(queue)); // declared again before subscribing
        }
        lostAtNanos = System.nanoTime();
        supervisor.wake();
    }

    @Override
    public void stop(Duration grace) {
        if (!running.compareAndSet(true, false)) {
            return;
        }
        supervisor.stop(Duration.ofSeconds(5)); // a subscription in progress completes, so it is closed below
        tasks.cancel();
        dead.cancel();
        handlers.shutdown();
        try {
            handlers.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // before the channels close, which would return them counted as deliveries
        int handedBack = held.handBack();
        if (handedBack > 0) {
            log.info("Handed {} unfinished messages of {} back to the queue, keeping their attempts", handedBack, queue);
        }
        handling.stop();
        tasks.close();
        dead.close();
        handlers.shutdownNow();
        flushHead(null);
    }
}
