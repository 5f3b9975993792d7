package io.pollster.schedule;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import io.pollster.system.Roles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/** Runs the {@link Scheduler} until shutdown: back to back while jobs are backed up, else every poll interval. */
@Component
class SchedulerLoop implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(SchedulerLoop.class);

    private static final Duration MIN_IDLE = Duration.ofMillis(5);

    private final Scheduler scheduler;
    private final SchedulerProperties properties;
    private final Roles roles;
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile Thread thread;

    SchedulerLoop(Scheduler scheduler, SchedulerProperties properties, Roles roles) {
        this.scheduler = scheduler;
        this.properties = properties;
        this.roles = roles;
    }

    @Override
    public void start() {
        if (!roles.has(Roles.Role.SCHEDULER) || !properties.enabled() || !running.compareAndSet(false, true)) {
            return;
        }
        thread = Thread.ofVirtual().name("scheduler").start(this::run);
        log.info("Scheduler started (batch {}, idle poll every {})", properties.batchSize(), properties.pollInterval());
    }

    private void run() {
        while (running.get()) {
            try {
                // a partial batch means the backlog is gone: look again at once; only an empty claim waits,
                // and only until the next job is due, so the lag stays near one claim's time
                if (scheduler.fireDue(properties.batchSize()) == 0) {
                    Thread.sleep(scheduler.untilNextDue(MIN_IDLE, properties.pollInterval()));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                log.warn("Firing due jobs failed; trying again: {}", e.toString());
                try {
                    Thread.sleep(properties.pollInterval().multipliedBy(10));
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    @Override
    public void stop() {
        // no interrupt: a batch in flight commits or rolls back whole; the loop sees the flag next time round
        if (running.compareAndSet(true, false) && thread != null) {
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public boolean isRunning() {
        return running.get();
    }

    /** Stops before the pollers (which stop before the database goes): stop firing first. */
    @Override
    public int getPhase() {
        return Integer.MAX_VALUE - 100;
    }
}
