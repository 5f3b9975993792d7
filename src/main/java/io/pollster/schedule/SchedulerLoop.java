package io.pollster.schedule;

import java.time.Duration;

import io.pollster.system.Roles;
import io.pollster.system.loop.BackgroundLoop;
import io.pollster.system.loop.Loops;
import io.pollster.system.loop.ShutdownPhase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/** Runs the {@link Scheduler} until shutdown: back to back while jobs are backed up, else until the next one is due. */
@Component
class SchedulerLoop implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(SchedulerLoop.class);

    private static final Duration MIN_IDLE = Duration.ofMillis(5);

    private final SchedulerProperties properties;
    private final Roles roles;
    private final BackgroundLoop loop;

    SchedulerLoop(Scheduler scheduler, SchedulerProperties properties, Roles roles, Loops loops) {
        this.properties = properties;
        this.roles = roles;
        // a batch that found due jobs means more may be waiting: look again at once; only an empty claim
        // waits, and only until the next job is due, so the lag stays near one claim's time
        this.loop = loops.create("scheduler", properties.pollInterval().multipliedBy(10),
                () -> scheduler.fireDue(properties.batchSize()) > 0
                        ? Duration.ZERO
                        : scheduler.untilNextDue(MIN_IDLE, properties.pollInterval()));
    }

    @Override
    public void start() {
        if (roles.has(Roles.Role.SCHEDULER) && properties.enabled() && !loop.isRunning()) {
            loop.start();
            log.info("Scheduler started (batch {}, idle poll every {})", properties.batchSize(), properties.pollInterval());
        }
    }

    /** A batch in flight commits or rolls back whole; no new one starts. */
    @Override
    public void stop() {
        loop.stop(Duration.ofSeconds(10));
    }

    @Override
    public boolean isRunning() {
        return loop.isRunning();
    }

    @Override
    public int getPhase() {
        return ShutdownPhase.FIRING;
    }
}
