package io.pollster.transport.rabbit;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Settings of the RabbitMQ transport ({@code POLLSTER_TRANSPORT=rabbitmq}); where the broker is
 * comes from the standard {@code SPRING_RABBITMQ_*} settings.
 *
 * @param deliveryLimit     {@code x-delivery-limit} of every queue: a message delivered this many
 *                          times without an acknowledgement (its consumers kept dying) goes to the
 *                          queue's dead-letter queue. Handler failures are counted by the consumer
 *                          and dead-lettered after their own {@code max-attempts}, well below this.
 *                          Part of the queue's declaration: changing it needs new queues
 * @param prefetch          unacknowledged messages a consumer may hold (at least its concurrency)
 * @param confirmTimeout    how long a publish waits for the broker's confirms before it fails
 * @param outboxBatch       outbox rows a relay publishes per round (one confirm wait each)
 * @param recoveryInterval  pause between reconnection attempts after the broker went away
 */
@ConfigurationProperties("pollster.rabbitmq")
public record RabbitTransportProperties(@DefaultValue("20") int deliveryLimit,
                                        @DefaultValue("250") int prefetch,
                                        @DefaultValue("30s") Duration confirmTimeout,
                                        @DefaultValue("500") int outboxBatch,
                                        @DefaultValue("1s") Duration recoveryInterval) {

    public RabbitTransportProperties {
        if (deliveryLimit < 2 || prefetch < 1 || outboxBatch < 1) {
            throw new IllegalArgumentException("pollster.rabbitmq: delivery-limit must be at least 2, prefetch and outbox-batch at least 1");
        }
    }
}
