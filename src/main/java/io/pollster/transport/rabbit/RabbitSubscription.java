package io.pollster.transport.rabbit;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One queue consumed on a channel of its own. The client's automatic recovery restores it after
 * a connection failure; when the broker closes only its channel or cancels its consumer, it is
 * lost (its owner hears of it) until the owner subscribes again, on a fresh channel.
 */
final class RabbitSubscription {

    private static final Logger log = LoggerFactory.getLogger(RabbitSubscription.class);

    /** Receives the subscription's messages, on the client's dispatch thread: it must not block. */
    interface Deliveries {
        void deliver(Channel channel, Envelope envelope, AMQP.BasicProperties properties, byte[] body);
    }

    /** Told when the broker ended the subscription; {@code queueMayBeGone} when it cancelled it. */
    interface Lost {
        void lost(boolean queueMayBeGone);
    }

    private final String source;
    private final int prefetch;
    private final ConsumerConnection connection;
    private final Duration recoveryInterval;
    private final BooleanSupplier running;
    private final Deliveries deliveries;
    private final Lost lost;
    private final boolean logsConnectionLoss;
    /** The consumer receiving this subscription's messages; null while there is none. */
    private final AtomicReference<Subscribed> current = new AtomicReference<>();
    private volatile Channel channel;
    private volatile String tag;

    /**
     * @param logsConnectionLoss whether this subscription logs a lost connection (one line per
     *                           connection, not one per channel)
     */
    RabbitSubscription(String source, int prefetch, ConsumerConnection connection, Duration recoveryInterval,
                       BooleanSupplier running, Deliveries deliveries, Lost lost, boolean logsConnectionLoss) {
        this.source = source;
        this.prefetch = prefetch;
        this.connection = connection;
        this.recoveryInterval = recoveryInterval;
        this.running = running;
        this.deliveries = deliveries;
        this.lost = lost;
        this.logsConnectionLoss = logsConnectionLoss;
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
        Subscribed consumer = new Subscribed(fresh);
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
    private void channelClosed(Subscribed consumer, String consumerTag, ShutdownSignalException signal) {
        if (running.getAsBoolean() && current.compareAndSet(consumer, null)) {
            forgetConsumer(consumer.getChannel(), consumerTag);
            log.warn("Lost the channel consuming {} ({}); subscribing again on a fresh one in {}. Its unacknowledged "
                    + "messages go back to the queue and are delivered again", source, reason(signal), recoveryInterval);
            lost.lost(false);
        }
    }

    /**
     * The broker cancelled {@code consumer}. Its channel stays open until the next subscription,
     * so handlers finishing meanwhile still settle their messages; the client's record of the
     * consumer goes at once, so connection recovery never brings it back.
     */
    private void cancelled(Subscribed consumer, String consumerTag) {
        if (running.getAsBoolean() && current.compareAndSet(consumer, null)) {
            forgetConsumer(consumer.getChannel(), consumerTag);
            log.warn("The broker cancelled the subscription to {} (queue deleted or moved); subscribing again in {}",
                    source, recoveryInterval);
            lost.lost(true);
        }
    }

    /** Asks the broker to send no more; the channel stays open for the messages in hand. */
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

    private static String reason(ShutdownSignalException signal) {
        return signal.getReason() instanceof AMQP.Channel.Close close
                ? close.getReplyCode() + " " + close.getReplyText()
                : signal.getMessage();
    }

    /**
     * Closes a channel of this subscription's, which also removes it from the client's connection
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
            log.debug("Closing a channel of {}: {}", source, e.toString());
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
            log.trace("Forgetting the cancelled consumer {} of {}: {}", consumerTag, source, expected.toString());
        }
    }

    /** The consumer on one channel: passes messages on, and reports when the broker ends it. */
    private final class Subscribed extends DefaultConsumer {

        Subscribed(Channel channel) {
            super(channel);
        }

        @Override
        public void handleDelivery(String consumerTag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
            deliveries.deliver(getChannel(), envelope, properties, body);
        }

        @Override
        public void handleShutdownSignal(String consumerTag, ShutdownSignalException signal) {
            if (!running.getAsBoolean()) {
                return;
            }
            if (signal.isHardError()) {
                // the connection: the client's automatic recovery reopens this channel and consumer by itself
                if (!signal.isInitiatedByApplication() && logsConnectionLoss) {
                    log.warn("Lost the connection consuming {} ({}); the client reconnects and resumes", source, signal.getMessage());
                }
            } else {
                channelClosed(this, consumerTag, signal);
            }
        }

        @Override
        public void handleCancel(String consumerTag) {
            cancelled(this, consumerTag);
        }
    }
}
