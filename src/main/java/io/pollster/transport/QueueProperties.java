package io.pollster.transport;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Queue settings shared by the transports ({@code POLLSTER_TRANSPORT} picks the transport).
 *
 * @param prefix       prefix of every queue name, so several installations (or test runs) can
 *                     share one database or broker
 * @param pollInterval how often an idle PostgreSQL consumer looks for new tasks
 */
@ConfigurationProperties("pollster.queue")
public record QueueProperties(@DefaultValue("") String prefix, @DefaultValue("50ms") Duration pollInterval) {

    /**
     * The RabbitMQ transport's dead-letter exchange, under the prefix: {@code <prefix>pollster.dead-letters}.
     * No output may declare or publish into it (any name ending so is refused for outputs).
     */
    public static final String DEAD_LETTER_EXCHANGE = "pollster.dead-letters";

    public String name(String queue) {
        return prefix + queue;
    }
}
