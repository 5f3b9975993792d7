package io.pollster.schedule;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.pollster.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Fires due jobs. One transaction claims a batch ({@code FOR UPDATE SKIP LOCKED}, so concurrent
 * schedulers take disjoint batches), moves each job to its next due time and enqueues its poll
 * task. The row locks are the lease: if this process dies before the commit, nothing happened and
 * the jobs are still due for the next scheduler; after the commit, the task is on the queue and
 * the queue's own visibility timeout covers the poller. Either way no fire is lost or doubled.
 */
@Component
public class Scheduler {

    private static final Logger log = LoggerFactory.getLogger(Scheduler.class);

    private final DueJobs dueJobs;
    private final Transport transport;
    private final TransactionTemplate tx;
    private final Clock clock;
    private final Timer lag;
    private final Counter fires;

    Scheduler(DueJobs dueJobs, Transport transport, TransactionTemplate tx, Clock clock, MeterRegistry meters) {
        this.dueJobs = dueJobs;
        this.transport = transport;
        this.tx = tx;
        this.clock = clock;
        this.lag = Timer.builder("pollster.schedule.lag")
                .description("Actual fire time minus due time")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(5))
                .register(meters);
        this.fires = Counter.builder("pollster.fires").description("Due jobs fired").register(meters);
    }

    /**
     * How long an idle scheduler may wait: until the next job is due, at most {@code max}, and at
     * least {@code min} (a job already due but not claimed is held by another scheduler).
     */
    public Duration untilNextDue(Duration min, Duration max) {
        Duration wait = dueJobs.nextRunAt().map(next -> Duration.between(clock.instant(), next)).orElse(max);
        return wait.compareTo(min) < 0 ? min : wait.compareTo(max) > 0 ? max : wait;
    }

    /** Fires up to {@code limit} due jobs; returns how many it fired. */
    public int fireDue(int limit) {
        List<DueJobs.Due> fired = tx.execute(status -> {
            Instant now = clock.instant();
            List<DueJobs.Due> due = dueJobs.claim(now, limit);
            if (due.isEmpty()) {
                return due;
            }
            List<DueJobs.Next> next = new ArrayList<>(due.size());
            List<byte[]> tasks = new ArrayList<>(due.size());
            List<UUID> broken = new ArrayList<>();
            for (DueJobs.Due job : due) {
                Instant nextDue;
                try {
                    nextDue = job.schedule().nextAfter(job.dueAt(), now);
                } catch (RuntimeException e) {
                    log.warn("Job {} has no next due time and is stopped: {}", job.id(), e.getMessage());
                    broken.add(job.id());
                    continue;
                }
                next.add(new DueJobs.Next(job.id(), nextDue, Jitter.apply(nextDue, job.jitter())));
                tasks.add(new PollTask(job.id(), job.runAt(), false).encode());
            }
            dueJobs.park(broken);
            dueJobs.advance(next);
            transport.enqueue(PollTask.QUEUE, tasks);
            return due.stream().filter(job -> !broken.contains(job.id())).toList();
        });
        Instant committed = clock.instant();
        for (DueJobs.Due job : fired) {
            lag.record(Duration.between(job.runAt(), committed).abs());
        }
        fires.increment(fired.size());
        return fired.size();
    }
}
