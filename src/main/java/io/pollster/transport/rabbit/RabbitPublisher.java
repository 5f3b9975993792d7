package io.pollster.transport.rabbit;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.rabbitmq.client.ReturnListener;
import org.springframework.amqp.AmqpException;
import org.springframework.amqp.rabbit.core.RabbitTemplate;

/**
 * Publishes persistent messages with publisher confirms, a window at a time: every message of a
 * call goes out on one channel, then one wait covers all their confirms (never one blocking round
 * trip per message). Messages are {@code mandatory}: one the broker cannot route (its queue is
 * gone) comes back and fails the call instead of vanishing behind a positive confirm.
 */
final class RabbitPublisher {

    private final RabbitTemplate template;
    private final RabbitTopology topology;
    private final RabbitTransportProperties properties;

    RabbitPublisher(RabbitTemplate template, RabbitTopology topology, RabbitTransportProperties properties) {
        this.template = template;
        this.topology = topology;
        this.properties = properties;
    }

    /**
     * A message to publish to a queue (its full name) through the default exchange.
     *
     * @param attemptsSpent attempts its task spent before this message (0 for a new task)
     */
    record Outgoing(String queue, byte[] payload, String messageId, Instant enqueuedAt, int attemptsSpent) {

        Outgoing(String queue, byte[] payload, String messageId, Instant enqueuedAt) {
            this(queue, payload, messageId, enqueuedAt, 0);
        }
    }

    /** Returns once the broker has confirmed every message; throws if any was refused, returned or not confirmed in time. */
    void publish(List<Outgoing> messages) {
        if (messages.isEmpty()) {
            return;
        }
        messages.stream().map(Outgoing::queue).distinct().forEach(topology::declare);
        Set<String> returned = ConcurrentHashMap.newKeySet();
        template.invoke(operations -> operations.execute(channel -> {
            ReturnListener listener = (code, text, exchange, routingKey, props, body) -> returned.add(routingKey);
            channel.addReturnListener(listener);
            try {
                for (Outgoing message : messages) {
                    channel.basicPublish("", message.queue(), true,
                            WireFormat.properties(message.messageId(), message.enqueuedAt(), message.attemptsSpent()), message.payload());
                }
                // the broker sends a return before the confirm of the same message: after this, returned is complete
                channel.waitForConfirmsOrDie(properties.confirmTimeout().toMillis());
            } finally {
                channel.removeReturnListener(listener);
            }
            return null;
        }));
        if (!returned.isEmpty()) {
            topology.forget(returned);
            throw new AmqpException("The broker has no queue " + returned + " (deleted?); it is declared again on the next attempt");
        }
    }
}
