package io.pollster.transport.rabbit;

import java.time.Clock;
import java.util.List;

import com.rabbitmq.client.Address;
import io.pollster.system.loop.Loops;
import io.pollster.transport.DeadLetterSink;
import io.pollster.transport.QueueProperties;
import io.pollster.transport.Transport;
import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.boot.amqp.autoconfigure.RabbitConnectionDetails;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

/** The RabbitMQ transport, when {@code POLLSTER_TRANSPORT=rabbitmq}. */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "pollster.transport", havingValue = "rabbitmq")
class RabbitTransportConfiguration {

    @Bean
    QueueRegistry queueRegistry(JdbcClient jdbc) {
        return new QueueRegistry(jdbc);
    }

    @Bean
    Outbox outbox(JdbcClient jdbc) {
        return new Outbox(jdbc);
    }

    @Bean
    RabbitTopology rabbitTopology(AmqpAdmin admin, QueueRegistry registry, RabbitTransportProperties properties,
                                  QueueProperties queues) {
        return new RabbitTopology(admin, registry, properties, queues);
    }

    @Bean
    RabbitPublisher rabbitPublisher(RabbitTemplate template, RabbitTopology topology, RabbitTransportProperties properties) {
        return new RabbitPublisher(template, topology, properties);
    }

    @Bean
    OutboxRelay outboxRelay(Outbox outbox, RabbitPublisher publisher, TransactionTemplate tx,
                            RabbitTransportProperties properties, QueueProperties queues, Clock clock, Loops loops) {
        return new OutboxRelay(outbox, publisher, tx, properties, queues.pollInterval(), clock, loops);
    }

    @Bean(destroyMethod = "close")
    ConsumerConnection consumerConnection(CachingConnectionFactory factory, RabbitConnectionDetails details,
                                          RabbitTransportProperties properties) {
        List<Address> addresses = details.getAddresses().stream().map(a -> new Address(a.host(), a.port())).toList();
        return new ConsumerConnection(factory.getRabbitConnectionFactory(), addresses, properties);
    }

    @Bean
    RabbitDeadLetters rabbitDeadLetters(DeadLetterSink sink, TransactionTemplate tx, Clock clock) {
        return new RabbitDeadLetters(sink, tx, clock);
    }

    @Bean
    Transport rabbitTransport(Outbox outbox, OutboxRelay relay, RabbitPublisher publisher, RabbitTopology topology,
                              ConsumerConnection connection, RabbitDeadLetters deadLetters, QueueRegistry registry,
                              RabbitTemplate template, QueueProperties queues, RabbitTransportProperties properties,
                              Clock clock, Loops loops) {
        return new RabbitTransport(outbox, relay, publisher, topology, connection, deadLetters, registry, template, queues,
                properties, clock, loops);
    }

    /** In the readiness group: a node that cannot reach the broker takes no traffic. */
    @Bean
    HealthIndicator transportHealthIndicator(RabbitTemplate template, ConsumerConnection consumers) {
        return () -> {
            try {
                String version = template.execute(channel -> channel.getConnection().getServerProperties().get("version").toString());
                return Health.up().withDetail("transport", "rabbitmq").withDetail("version", version)
                        .withDetail("consumersConnected", consumers.isOpen()).build();
            } catch (RuntimeException e) {
                return Health.down().withDetail("transport", "rabbitmq").withDetail("error", e.getClass().getSimpleName()).build();
            }
        };
    }
}
