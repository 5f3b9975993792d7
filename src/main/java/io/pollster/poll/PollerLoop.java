package io.pollster.poll;

import java.time.Duration;

import io.pollster.schedule.PollTask;
import io.pollster.system.Roles;
import io.pollster.system.loop.ShutdownPhase;
import io.pollster.transport.ConsumerSettings;
import io.pollster.transport.DeadLetterType;
import io.pollster.transport.QueueConsumer;
import io.pollster.transport.TaskHandler;
import io.pollster.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/** Consumes the poll queue while the process runs (the {@code poller} role). */
@Component
class PollerLoop implements SmartLifecycle, TaskHandler {

    private static final Logger log = LoggerFactory.getLogger(PollerLoop.class);

    private final Transport transport;
    private final Poller poller;
    private final PollerProperties properties;
    private final Roles roles;
    private volatile QueueConsumer consumer;

    PollerLoop(Transport transport, Poller poller, PollerProperties properties, Roles roles) {
        this.roles = roles;
        this.transport = transport;
        this.poller = poller;
        this.properties = properties;
    }

    @Override
    public Result handle(Delivery delivery) {
        return poller.poll(PollTask.decode(delivery.payload()));
    }

    @Override
    public DeadLetterInfo abandon(byte[] payload, String error) {
        PollTask task;
        try {
            task = PollTask.decode(payload);
        } catch (IllegalArgumentException poison) {
            return new DeadLetterInfo(DeadLetterType.POLL, null, null);
        }
        return poller.abandon(task, error);
    }

    @Override
    public synchronized void start() {
        if (roles.has(Roles.Role.POLLER) && properties.enabled() && consumer == null) {
            consumer = transport.consume(PollTask.QUEUE, this, new ConsumerSettings(properties.concurrency(),
                    properties.maxDeliveries(), properties.visibilityTimeout(), Duration.ofSeconds(1)));
            log.info("Poller started ({} polls at once)", properties.concurrency());
        }
    }

    @Override
    public synchronized void stop() {
        if (consumer != null) {
            consumer.stop(Duration.ofSeconds(20));
            consumer = null;
        }
    }

    @Override
    public boolean isRunning() {
        return consumer != null;
    }

    @Override
    public int getPhase() {
        return ShutdownPhase.CONSUMING;
    }
}
