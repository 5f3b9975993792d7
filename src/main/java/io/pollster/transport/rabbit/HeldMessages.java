package io.pollster.transport.rabbit;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The messages of one queue a consumer has been delivered and not settled yet, and their hand-back
 * when it stops. Each is settled by whoever {@linkplain Held#take() takes} it first — its handler
 * or the hand-back — so this consumer never settles a message twice (a second acknowledgement of
 * one delivery tag would close the channel) and never both handles and hands back a task.
 *
 * <p>Why a hand-back is a new message: a return to the queue (nack, channel close) counts as a
 * delivery, against {@code x-delivery-limit} and in the attempt number. The PostgreSQL transport
 * gives the attempt back to a task it hands back; here the task is published again with its body,
 * message id and enqueue time and the attempts it had spent before, then the delivery is
 * acknowledged. If publishing fails, the deliveries stay unacknowledged and go back to the queue
 * when the channel closes, counted; nothing is lost. A crash between the publish and the
 * acknowledgement sends the task twice (at least once).
 */
final class HeldMessages {

    private static final Logger log = LoggerFactory.getLogger(HeldMessages.class);

    private final String queue;
    private final RabbitPublisher publisher;
    private final Clock clock;
    private final Set<Held> held = ConcurrentHashMap.newKeySet();

    HeldMessages(String queue, RabbitPublisher publisher, Clock clock) {
        this.queue = queue;
        this.publisher = publisher;
        this.clock = clock;
    }

    /** A delivery not settled yet. */
    final class Held {

        private final Channel channel;
        private final long delivery;
        private final AMQP.BasicProperties properties;
        private final byte[] body;
        private final int attempt;
        private final AtomicBoolean taken = new AtomicBoolean();

        private Held(Channel channel, long delivery, AMQP.BasicProperties properties, byte[] body, int attempt) {
            this.channel = channel;
            this.delivery = delivery;
            this.properties = properties;
            this.body = body;
            this.attempt = attempt;
        }

        /** True for the one caller that may settle this delivery; false for every later one. */
        boolean take() {
            if (!taken.compareAndSet(false, true)) {
                return false;
            }
            held.remove(this);
            return true;
        }

        Channel channel() {
            return channel;
        }

        long delivery() {
            return delivery;
        }

        String messageId() {
            return properties.getMessageId();
        }

        byte[] body() {
            return body;
        }

        int attempt() {
            return attempt;
        }

        private RabbitPublisher.Outgoing again() {
            String id = properties.getMessageId() == null ? WireFormat.newMessageId() : properties.getMessageId();
            Instant enqueuedAt = WireFormat.enqueuedAt(properties);
            // this delivery's attempt is given back: the next one has the same number
            return new RabbitPublisher.Outgoing(queue, body, id, enqueuedAt == null ? clock.instant() : enqueuedAt, attempt - 1);
        }
    }

    Held hold(Channel channel, long delivery, AMQP.BasicProperties properties, byte[] body, int attempt) {
        Held message = new Held(channel, delivery, properties, body, attempt);
        held.add(message);
        return message;
    }

    /**
     * Hands every message still held back to the queue as a new message that keeps its attempts;
     * must run before the channels close. Messages of channels closed meanwhile are already back.
     *
     * @return how many were handed back
     */
    int handBack() {
        List<Held> unfinished = held.stream().filter(Held::take).filter(h -> h.channel.isOpen()).toList();
        if (unfinished.isEmpty()) {
            return 0;
        }
        try {
            publisher.publish(unfinished.stream().map(Held::again).toList());
        } catch (RuntimeException e) {
            log.warn("Could not hand {} messages of {} back as new messages; they go back to the queue as they are, "
                    + "each return counted as a delivery: {}", unfinished.size(), queue, e.toString());
            return 0;
        }
        for (Held message : unfinished) {
            try {
                message.channel.basicAck(message.delivery, false);
            } catch (IOException | RuntimeException e) {
                log.debug("Could not acknowledge a message of {} handed back (it is delivered twice): {}", queue, e.toString());
            }
        }
        return unfinished.size();
    }
}
