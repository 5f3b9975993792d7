package io.pollster.transport.rabbit;

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.pollster.transport.QueueProperties;
import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.core.BindingBuilder;
import org.springframework.amqp.core.DirectExchange;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.QueueBuilder;

/**
 * Declares what a queue needs on the broker, once per process and queue: a durable quorum queue
 * whose rejected or over-delivered messages go, through one dead-letter exchange, to its own
 * dead-letter queue {@code <queue>.dead} (which the queue's consumers record as dead letters).
 */
final class RabbitTopology {

    static final String DEAD_SUFFIX = ".dead";

    private final AmqpAdmin admin;
    private final QueueRegistry registry;
    private final RabbitTransportProperties properties;
    private final String deadLetterExchange;
    private final Set<String> declared = ConcurrentHashMap.newKeySet();

    RabbitTopology(AmqpAdmin admin, QueueRegistry registry, RabbitTransportProperties properties, QueueProperties queues) {
        this.admin = admin;
        this.registry = registry;
        this.properties = properties;
        this.deadLetterExchange = queues.name(QueueProperties.DEAD_LETTER_EXCHANGE);
    }

    /** Declares the queue (by its full name) unless this process already has. */
    void declare(String queue) {
        if (declared.contains(queue)) {
            return;
        }
        DirectExchange exchange = new DirectExchange(deadLetterExchange, true, false);
        admin.declareExchange(exchange);
        // why at-least-once: by default a quorum queue drops a dead letter the broker could not route in time
        Queue main = QueueBuilder.durable(queue)
                .quorum()
                .deliveryLimit(properties.deliveryLimit())
                .deadLetterExchange(deadLetterExchange)
                .withArguments(Map.of("x-dead-letter-strategy", "at-least-once", "x-overflow", "reject-publish"))
                .build();
        Queue dead = QueueBuilder.durable(deadQueue(queue)).quorum().build();
        admin.declareQueue(main);
        admin.declareQueue(dead);
        admin.declareBinding(BindingBuilder.bind(dead).to(exchange).with(queue));
        registry.register(queue);
        declared.add(queue);
    }

    /** Forgets declarations the broker has lost (a queue deleted by hand), so the next use declares again. */
    void forget(Collection<String> queues) {
        declared.removeAll(queues);
    }

    static String deadQueue(String queue) {
        return queue + DEAD_SUFFIX;
    }
}
