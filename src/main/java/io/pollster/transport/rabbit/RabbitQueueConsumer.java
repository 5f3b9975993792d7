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
import java.util.function.Function;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
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
    private final Subscription tasks;
    private final Subscription dead;
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
        this.tasks = new Subscription(queue, prefetch, Tasks::new);
        this.dead = new Subscription(RabbitTopology.deadQueue(queue), DEAD_PREFETCH, DeadLetters::new);
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
            for (Subscription subscription : List.of(tasks, dead)) {
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

    /**
     * One queue consumed on a channel of its own. The client's automatic recovery restores it after
     * a connection failure; when the broker closes only its channel or cancels its consumer, it is
     * lost until the supervisor subscribes again on a fresh channel.
     */
    private final class Subscription {

        private final String source;
        private final int prefetch;
        private final Function<Channel, Subscribed> consumerOn;
        /** The consumer receiving this subscription's messages; null while there is none. */
        private final AtomicReference<Subscribed> current = new AtomicReference<>();
        private volatile Channel channel;
        private volatile String tag;

        Subscription(String source, int prefetch, Function<Channel, Subscribed> consumerOn) {
            this.source = source;
            this.prefetch = prefetch;
            this.consumerOn = consumerOn;
        }

        boolean consuming() {
            return current.get() != null;
        }

        void subscribe() throws IOException, TimeoutException {
            // the previous channel was kept open after a cancel for the handlers still running: what
            // they have not settled by now goes back to the queue
            discard(channel);
            Channel fresh = connection.get().createChannel();
            channel = fresh;
            Subscribed consumer = consumerOn.apply(fresh);
            // before basicConsume returns: a cancel can arrive first, and must find its consumer current
            current.set(consumer);
            try {
                fresh.basicQos(prefetch);
                tag = fresh.basicConsume(source, false, consumer);
            } catch (IOException | RuntimeException e) {
                current.compareAndSet(consumer, null);
                discard(fresh);
                throw e;
            }
        }

        /**
         * The channel of {@code consumer} was closed while the connection stayed up: by the broker (a
         * channel error, {@code consumer_timeout}), or by the client after a consumer callback threw.
         * The client still records the consumer, and after a later connection failure would subscribe
         * it again beside the fresh one: that record goes at once.
         */
        void channelClosed(Subscribed consumer, String consumerTag, ShutdownSignalException signal) {
            if (running.get() && current.compareAndSet(consumer, null)) {
                forgetConsumer(consumer.getChannel(), consumerTag);
                log.warn("Lost the channel consuming {} ({}); subscribing again on a fresh one in {}. Its unacknowledged "
                        + "messages go back to the queue and are delivered again", source, reason(signal), recoveryInterval);
                wake();
            }
        }

        /**
         * The broker cancelled {@code consumer}. Its channel stays open until the next subscription,
         * so handlers finishing meanwhile still settle their messages; the client's record of the
         * consumer goes at once, so connection recovery never brings it back.
         */
        void cancelled(Subscribed consumer, String consumerTag) {
            if (running.get() && current.compareAndSet(consumer, null)) {
                forgetConsumer(consumer.getChannel(), consumerTag);
                topology.forget(List.of(queue)); // the queue may be gone: declare it again before subscribing
                log.warn("The broker cancelled the subscription to {} (queue deleted or moved); subscribing again in {}",
                        source, recoveryInterval);
                wake();
            }
        }

        void cancel() {
            Channel open = channel;
            String consumerTag = tag;
            if (open == null || consumerTag == null || !consuming()) {
                return;
            }
            try {
                open.basicCancel(consumerTag);
            } catch (IOException | RuntimeException e) {
                log.debug("Cancelling the subscription to {}: {}", source, e.toString());
            }
        }

        void close() {
            discard(channel);
        }
    }

    private static String reason(ShutdownSignalException signal) {
        return signal.getReason() instanceof AMQP.Channel.Close close
                ? close.getReplyCode() + " " + close.getReplyText()
                : signal.getMessage();
    }

    /** A consumer that reports to its subscription when the broker ends it. */
    private abstract class Subscribed extends DefaultConsumer {

        private final Subscription subscription;

        Subscribed(Channel channel, Subscription subscription) {
            super(channel);
            this.subscription = subscription;
        }

        @Override
        public void handleShutdownSignal(String tag, ShutdownSignalException signal) {
            if (!running.get()) {
                return;
            }
            if (signal.isHardError()) {
                // the connection: the client's automatic recovery reopens this channel and consumer by itself
                if (!signal.isInitiatedByApplication() && subscription == tasks) { // one line per consumer, not per channel
                    log.warn("Lost the connection consuming {} ({}); the client reconnects and resumes", queue, signal.getMessage());
                }
            } else {
                subscription.channelClosed(this, tag, signal);
            }
        }

        @Override
        public void handleCancel(String tag) {
            subscription.cancelled(this, tag);
        }
    }

    /** The queue's messages: each handled on its own virtual thread. */
    private final class Tasks extends Subscribed {

        Tasks(Channel channel) {
            super(channel, tasks);
        }

        @Override
        public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
            long delivery = envelope.getDeliveryTag();
            int schema = WireFormat.schema(properties);
            if (schema != WireFormat.SCHEMA_VERSION) {
                log.warn("Rejecting a message of schema version {} on {} to its dead-letter queue (this node reads {})",
                        schema, queue, WireFormat.SCHEMA_VERSION);
                handling.settle(getChannel(), delivery, MessageHandling.Settle.REJECT);
                return;
            }
            Instant enqueuedAt = WireFormat.enqueuedAt(properties);
            if (enqueuedAt != null) {
                head.accumulateAndGet(enqueuedAt, (a, b) -> a == null || b.isAfter(a) ? b : a);
            }
            Channel channel = getChannel();
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

    /** The dead-letter queue: what the broker dead-lettered, recorded where the API shows it. */
    private final class DeadLetters extends Subscribed {

        DeadLetters(Channel channel) {
            super(channel, dead);
        }

        @Override
        public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
            try {
                deadLetters.record(queue, properties.getMessageId(), handler, body, reason(properties),
                        WireFormat.attempt(properties));
                handling.settle(getChannel(), envelope.getDeliveryTag(), MessageHandling.Settle.ACK);
            } catch (RuntimeException e) {
                log.warn("Could not record a dead letter of {}; it stays on {}: {}", queue, RabbitTopology.deadQueue(queue), e.toString());
                handling.requeueLater(getChannel(), envelope.getDeliveryTag(), recoveryInterval);
            }
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
    private void wake() {
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

    /**
     * Closes a channel of this consumer's, which also removes it from the client's connection
     * recovery — unless it was closed on its own already (by the broker, or here): the client then
     * has freed its number for the next channel opened, and removes channels from its recovery by
     * number, so closing it again could drop another consumer's channel from recovery. Such a
     * channel stays in the client's records, without consumers, until its number is used again.
     */
    private void discard(Channel channel) {
        if (channel == null) {
            return;
        }
        ShutdownSignalException closed = channel.getCloseReason();
        if (closed != null && !closed.isHardError()) {
            return;
        }
        try {
            channel.abort();
        } catch (IOException | RuntimeException e) {
            log.debug("Closing a channel of {}: {}", queue, e.toString());
        }
    }

    /**
     * Drops the client's record of a consumer the broker ended (the client keeps it, and its
     * connection recovery would subscribe it again). The broker has no such consumer any more, and
     * {@code basicCancel} first drops the record, then fails without sending anything: the consumer
     * is unknown to the channel, or the channel is closed.
     */
    private void forgetConsumer(Channel channel, String consumerTag) {
        try {
            channel.basicCancel(consumerTag);
        } catch (IOException | RuntimeException expected) {
            log.trace("Forgetting the cancelled consumer {} of {}: {}", consumerTag, queue, expected.toString());
        }
    }
}
