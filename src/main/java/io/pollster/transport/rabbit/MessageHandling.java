package io.pollster.transport.rabbit;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import com.rabbitmq.client.Channel;
import io.pollster.transport.ConsumerSettings;
import io.pollster.transport.TaskHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What becomes of one task message of a queue: its handler runs, and the delivery is settled by
 * the result. {@code Done} acknowledges it; {@code Later} puts the task back as a new message and
 * acknowledges this one; a failure holds the message for the backoff, then returns it to the queue
 * (the broker counts the return in {@code x-delivery-count}), and at the last attempt records the
 * dead letter and acknowledges it. A message handed back while its handler ran is left alone.
 */
final class MessageHandling {

    private static final Logger log = LoggerFactory.getLogger(MessageHandling.class);

    private final String queue;
    private final TaskHandler handler;
    private final ConsumerSettings settings;
    private final RabbitDeadLetters deadLetters;
    private final Later later;
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().factory());

    MessageHandling(String queue, TaskHandler handler, ConsumerSettings settings, RabbitDeadLetters deadLetters, Later later) {
        this.queue = queue;
        this.handler = handler;
        this.settings = settings;
        this.deadLetters = deadLetters;
        this.later = later;
    }

    /** Puts a task back on its queue for later, as a new message (through the outbox, which holds it until due). */
    @FunctionalInterface
    interface Later {
        void put(String queue, TaskHandler.Later later);
    }

    enum Settle { ACK, REQUEUE, REJECT }

    void handle(HeldMessages.Held message) {
        boolean mine = false;
        try {
            TaskHandler.Result result = handler.handle(new TaskHandler.Delivery(message.body(), message.attempt()));
            mine = message.take();
            if (!mine) {
                return; // handed back while it ran: its new message carries the task on
            }
            switch (result) {
                case TaskHandler.Done done -> settle(message.channel(), message.delivery(), Settle.ACK);
                case TaskHandler.Later task -> {
                    // a new message (the broker would count a return as a delivery): published once due, then this one goes
                    later.put(queue, task);
                    settle(message.channel(), message.delivery(), Settle.ACK);
                }
            }
        } catch (Throwable e) {
            // taken by another already: handed back, and the stop interrupted the handler that outlived its grace
            if (mine || message.take()) {
                failed(message, e);
            }
        }
    }

    private void failed(HeldMessages.Held message, Throwable e) {
        int attempt = message.attempt();
        String error = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (e instanceof Error) {
            log.error("A message on {} failed with {} (attempt {})", queue, e, attempt, e);
            error = e.getClass().getSimpleName() + ": " + error;
        }
        if (attempt >= settings.maxAttempts()) {
            log.warn("Message on {} failed {} times; dead-lettering it: {}", queue, attempt, error);
            try {
                deadLetters.record(queue, message.messageId(), handler, message.body(), error, attempt);
                settle(message.channel(), message.delivery(), Settle.ACK);
            } catch (RuntimeException bookkeeping) {
                // back to the queue: the next delivery tries the dead letter again
                log.warn("Could not record the dead letter of a message on {}: {}", queue, bookkeeping.toString());
                settle(message.channel(), message.delivery(), Settle.REQUEUE);
            }
        } else {
            Duration delay = settings.retryBackoff().multipliedBy(1L << Math.min(attempt - 1, 10));
            log.info("Message on {} failed (attempt {}); retrying in {}: {}", queue, attempt, delay, error);
            requeueLater(message.channel(), message.delivery(), delay);
        }
    }

    /** Hands a message back to the queue after {@code delay}. */
    void requeueLater(Channel channel, long delivery, Duration delay) {
        try {
            retries.schedule(() -> settle(channel, delivery, Settle.REQUEUE), delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException stopping) {
            // failed as the consumer stopped: closing the channel returns it
        }
    }

    /**
     * A settlement on a channel that has since been closed or recovered is dropped: the broker has
     * already put the message back, and delivers it again.
     */
    void settle(Channel channel, long delivery, Settle settle) {
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

    /** Drops the returns still waiting for their backoff: closing the channel returns those messages at once. */
    void stop() {
        retries.shutdownNow();
    }
}
