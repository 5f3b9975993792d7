package io.pollster.transport.rabbit;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.pollster.system.loop.Loops;
import io.pollster.transport.ConsumerSettings;
import io.pollster.transport.QueueConsumer;
import io.pollster.transport.QueueProperties;
import io.pollster.transport.QueueStats;
import io.pollster.transport.TaskHandler;
import io.pollster.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Queues on RabbitMQ: durable quorum queues, persistent messages, publisher confirms, manual
 * acknowledgements, a dead-letter queue per queue. What is enqueued in a database transaction goes
 * through the {@link Outbox}, so it is published if and only if that transaction commits.
 */
final class RabbitTransport implements Transport {

    private static final Logger log = LoggerFactory.getLogger(RabbitTransport.class);

    private final Outbox outbox;
    private final OutboxRelay relay;
    private final RabbitPublisher publisher;
    private final RabbitTopology topology;
    private final ConsumerConnection connection;
    private final RabbitDeadLetters deadLetters;
    private final QueueRegistry registry;
    private final RabbitTemplate template;
    private final QueueProperties queues;
    private final RabbitTransportProperties properties;
    private final Clock clock;
    private final Loops loops;

    RabbitTransport(Outbox outbox, OutboxRelay relay, RabbitPublisher publisher, RabbitTopology topology,
                    ConsumerConnection connection, RabbitDeadLetters deadLetters, QueueRegistry registry,
                    RabbitTemplate template, QueueProperties queues, RabbitTransportProperties properties, Clock clock,
                    Loops loops) {
        this.loops = loops;
        this.outbox = outbox;
        this.relay = relay;
        this.publisher = publisher;
        this.topology = topology;
        this.connection = connection;
        this.deadLetters = deadLetters;
        this.registry = registry;
        this.template = template;
        this.queues = queues;
        this.properties = properties;
        this.clock = clock;
    }

    @Override
    public void enqueue(String queue, List<byte[]> payloads) {
        if (payloads.isEmpty()) {
            return;
        }
        outbox.insert(queues.name(queue), payloads, clock.instant());
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    relay.relayNow();
                }
            });
        } else {
            relay.relayNow();
        }
    }

    @Override
    public void send(Map<String, List<byte[]>> payloadsByQueue) {
        Instant now = clock.instant();
        List<RabbitPublisher.Outgoing> messages = new ArrayList<>();
        payloadsByQueue.forEach((queue, payloads) -> payloads.forEach(payload ->
                messages.add(new RabbitPublisher.Outgoing(queues.name(queue), payload, WireFormat.newMessageId(), now))));
        publisher.publish(messages);
    }

    @Override
    public QueueConsumer consume(String queue, TaskHandler handler, ConsumerSettings settings) {
        if (settings.maxAttempts() >= properties.deliveryLimit()) {
            log.warn("Consumers of {} retry {} times, but the broker dead-letters after {} deliveries "
                    + "(pollster.rabbitmq.delivery-limit): raise it", queue, settings.maxAttempts(), properties.deliveryLimit());
        }
        RabbitQueueConsumer consumer = new RabbitQueueConsumer(queues.name(queue), handler, settings, connection, topology,
                deadLetters, registry, properties, (name, later) -> {
                    Instant now = clock.instant();
                    outbox.insert(name, List.of(later.payload()), now, now.plus(later.delay()));
                }, new HeldMessages(queues.name(queue), publisher, clock), loops);
        consumer.start();
        return consumer;
    }

    /**
     * The outbox, and every queue Pollster declared. The broker tells how many messages are ready on
     * a queue (not those delivered and unacknowledged); the oldest waiting one was enqueued after the
     * newest one a consumer has taken, which is the age reported.
     */
    @Override
    public List<QueueStats> stats() {
        List<QueueStats> stats = new ArrayList<>();
        stats.add(outbox.stats());
        for (QueueRegistry.Registered queue : registry.all()) {
            try {
                Integer ready = template.execute(channel -> channel.queueDeclarePassive(queue.name()).getMessageCount());
                long depth = ready == null ? 0 : ready;
                stats.add(new QueueStats(queue.name(), depth, depth == 0 ? null : queue.headEnqueuedAt()));
            } catch (RuntimeException e) {
                log.debug("No depth for queue {}: {}", queue.name(), e.toString());
            }
        }
        return stats;
    }
}
