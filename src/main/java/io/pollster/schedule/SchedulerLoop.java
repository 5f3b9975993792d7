package io.pollster.schedule;

import java.time.Duration;

import io.pollster.system.Roles;
import io.pollster.system.loop.LoopService;
import io.pollster.system.loop.Loops;
import io.pollster.system.loop.ShutdownPhase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Runs the {@link Scheduler} until shutdown: back to back while jobs are backed up, else until the
 * next one is due. It stops first: a batch in flight commits or rolls back whole, and none starts after.
 */
@Component
class SchedulerLoop extends LoopService {

    private static final Logger log = LoggerFactory.getLogger(SchedulerLoop.class);

    private static final Duration MIN_IDLE = Duration.ofMillis(5);

    private final Scheduler scheduler;
    private final SchedulerProperties properties;
    private final Roles roles;

    SchedulerLoop(Scheduler scheduler, SchedulerProperties properties, Roles roles, Loops loops) {
        super(loops, "scheduler", properties.pollInterval().multipliedBy(10), ShutdownPhase.FIRING, Duration.ofSeconds(10));
        this.scheduler = scheduler;
        this.properties = properties;
        this.roles = roles;
    }

    /**
     * A batch that fired jobs means more may be waiting: look again at once; only an empty claim
     * waits, and only until the next job is due, so the lag stays near one claim's time.
     */
    @Override
    protected Duration runOnce() {
        return scheduler.fireDue(properties.batchSize()) > 0
                ? Duration.ZERO
                : scheduler.untilNextDue(MIN_IDLE, properties.pollInterval());
    }

    @Override
    protected boolean enabled() {
        return roles.has(Roles.Role.SCHEDULER) && properties.enabled();
    }

    @Override
    protected void afterStart() {
        log.info("Scheduler started (batch {}, idle poll every {})", properties.batchSize(), properties.pollInterval());
    }
}
