package io.pollster.poll;

import java.time.Duration;

import io.pollster.schedule.PollTask;
import io.pollster.system.Roles;
import io.pollster.transport.ConsumerSettings;
import io.pollster.transport.DeadLetterType;
import io.pollster.transport.QueueService;
import io.pollster.transport.TaskHandler;
import io.pollster.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/** Consumes the poll queue while the process runs (the {@code poller} role). */
@Component
class PollerLoop extends QueueService implements TaskHandler {

    private static final Logger log = LoggerFactory.getLogger(PollerLoop.class);

    private final Poller poller;
    private final PollerProperties properties;
    private final Roles roles;

    PollerLoop(Transport transport, Poller poller, PollerProperties properties, Roles roles) {
        super(transport, PollTask.QUEUE);
        this.roles = roles;
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
    protected boolean enabled() {
        return roles.has(Roles.Role.POLLER) && properties.enabled();
    }

    @Override
    protected TaskHandler handler() {
        return this;
    }

    @Override
    protected ConsumerSettings settings() {
        return new ConsumerSettings(properties.concurrency(), properties.maxDeliveries(), properties.visibilityTimeout(),
                Duration.ofSeconds(1));
    }

    @Override
    protected void started(ConsumerSettings settings) {
        log.info("Poller started ({} polls at once)", settings.concurrency());
    }
}
