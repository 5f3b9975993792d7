package io.pollster.transport;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** On PostgreSQL the queues live in the database, whose own health indicator covers them. */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "pollster.transport", havingValue = "postgres", matchIfMissing = true)
class TransportHealthConfiguration {

    @Bean
    HealthIndicator transportHealthIndicator() {
        return () -> Health.up().withDetail("transport", "postgres").build();
    }
}
