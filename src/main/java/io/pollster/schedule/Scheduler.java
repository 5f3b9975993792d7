package io.pollster.schedule;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.pollster.system.PollsterProperties;
import io.pollster.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Fires due jobs. One transaction claims a batch ({@code FOR UPDATE SKIP LOCKED}, so concurrent
 * schedulers take disjoint batches), moves each job to its next due time and enqueues its poll
 * task. The row locks are the lease: if this process dies before the commit, nothing happened and
 * the jobs are still due for the next scheduler; after the commit, the task is on the queue and
 * the queue's own visibility timeout covers the poller. Either way no fire is lost or doubled.
 *
 * <p>One poll of a job at a time: a due time that finds the job's last fire still in flight
 * (not marked done by its poll, and within {@link PollTimeLimit#maxPollTime()}) is skipped, and
 * the skip is written to the job's poll history; a requested run waits until that poll is over,
 * and until {@code pollster.min-interval} has passed since the job's last fire.
 */
@Component
public class Scheduler {

    private static final Logger log = LoggerFactory.getLogger(Scheduler.class);

    /**
     * How soon a run requested during a poll first looks again whether that poll is over; it looks
     * less often the longer the poll runs (a quarter of its age), at most every {@link #MAX_RUN_RECHECK}.
     */
    static final Duration RUN_RECHECK = Duration.ofMillis(500);
    static final Duration MAX_RUN_RECHECK = Duration.ofSeconds(30);

    private final JobSchedules schedules;
    private final Transport transport;
    private final TransactionTemplate tx;
    private final Clock clock;
    private final Duration lease;
    /** The least time from a job's last fire to a requested run: {@code pollster.min-interval}. */
    private final Duration minRunGap;
    private final ApplicationEventPublisher events;
    private final Timer lag;
    private final Counter fires;
    private final Counter skips;

    Scheduler(JobSchedules schedules, Transport transport, TransactionTemplate tx, Clock clock, PollTimeLimit limit,
              ApplicationEventPublisher events, MeterRegistry meters, PollsterProperties properties) {
        this.schedules = schedules;
        this.minRunGap = properties.minInterval();
        this.transport = transport;
        this.tx = tx;
        this.clock = clock;
        this.lease = limit.lease();
        this.events = events;
        this.lag = Timer.builder("pollster.schedule.lag")
                .description("Actual fire time minus due time")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(5))
                .register(meters);
        this.fires = Counter.builder("pollster.fires").description("Due jobs fired").register(meters);
        this.skips = Counter.builder("pollster.fires.skipped")
                .description("Due times skipped because the job's previous poll was still in flight").register(meters);
    }

    /**
     * Due times skipped because the job's previous poll was still in flight, published after the
     * commit so that the poll history can show them.
     */
    public record FiresSkipped(List<UUID> jobIds, Instant at) {
    }

    /**
     * Jobs whose schedule cannot say when they fire next (a cron expression with no future time),
     * published after the commit: the job API stops them, so they never hold up a batch again.
     * Until then they stay due, and the next batch publishes them again.
     */
    public record Unschedulable(List<UUID> jobIds) {
    }

    /**
     * How long an idle scheduler may wait: until the next job is due, at most {@code max}, and at
     * least {@code min} (a job already due but not claimed is held by another scheduler).
     */
    public Duration untilNextDue(Duration min, Duration max) {
        Duration wait = schedules.nextRunAt().map(next -> Duration.between(clock.instant(), next)).orElse(max);
        return wait.compareTo(min) < 0 ? min : wait.compareTo(max) > 0 ? max : wait;
    }

    /** Fires up to {@code limit} due jobs; returns how many it fired (those skipped or put off move on without a poll). */
    public int fireDue(int limit) {
        Batch batch = tx.execute(status -> {
            // µs: the fire's stamp must read back from PostgreSQL exactly as the task carries it
            Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
            List<JobSchedules.Due> due = schedules.claim(now, limit);
            Batch handled = new Batch(now);
            if (due.isEmpty()) {
                return handled;
            }
            List<JobSchedules.Next> next = new ArrayList<>(due.size());
            List<byte[]> tasks = new ArrayList<>(due.size());
            for (JobSchedules.Due job : due) {
                boolean scheduled = job.dueAt() != null && !job.dueAt().isAfter(now);
                Instant nextDue;
                try {
                    nextDue = scheduled ? job.schedule().nextAfter(job.dueAt(), now) : job.dueAt();
                } catch (RuntimeException e) {
                    log.warn("Job {} has no next due time and is stopped: {}", job.id(), e.getMessage());
                    handled.broken.add(job.id());
                    continue;
                }
                Instant nextRun = nextDue == null ? null : Jitter.apply(nextDue, job.jitter());
                if (job.inFlight(now, lease)) {
                    if (job.runRequested()) {
                        // put off, not dropped: it fires once that poll is over (a due time meanwhile joins it)
                        next.add(new JobSchedules.Next(job.id(), job.dueAt(), now.plus(recheck(job.firedAt(), now)), false, true));
                    } else {
                        next.add(new JobSchedules.Next(job.id(), nextDue, nextRun, false, false));
                        handled.skipped.add(job.id());
                    }
                    continue;
                }
                if (!scheduled && job.runRequested() && job.firedAt() != null && job.firedAt().plus(minRunGap).isAfter(now)) {
                    // why: run-now is one poll per pollster.min-interval at most, however many requests: those
                    // meanwhile wait for it, so a flood of them cannot poll the upstream in a tight loop
                    next.add(new JobSchedules.Next(job.id(), job.dueAt(), job.firedAt().plus(minRunGap), false, true));
                    continue;
                }
                next.add(new JobSchedules.Next(job.id(), nextDue, nextRun, true, false));
                tasks.add(PollTask.fire(job.id(), job.runAt(), job.runRequested(), now).encode());
                handled.fired.add(job);
            }
            schedules.advance(next, now);
            transport.enqueue(PollTask.QUEUE, tasks);
            return handled;
        });
        Instant committed = clock.instant();
        for (JobSchedules.Due job : batch.fired) {
            lag.record(Duration.between(job.runAt(), committed).abs());
        }
        fires.increment(batch.fired.size());
        if (!batch.skipped.isEmpty()) {
            skips.increment(batch.skipped.size());
            events.publishEvent(new FiresSkipped(List.copyOf(batch.skipped), batch.at));
        }
        if (!batch.broken.isEmpty()) {
            events.publishEvent(new Unschedulable(List.copyOf(batch.broken)));
        }
        return batch.fired.size();
    }

    /** A quarter of the running poll's age, within [{@link #RUN_RECHECK}, {@link #MAX_RUN_RECHECK}]. */
    static Duration recheck(Instant firedAt, Instant now) {
        Duration quarter = Duration.between(firedAt, now).dividedBy(4);
        return quarter.compareTo(RUN_RECHECK) < 0 ? RUN_RECHECK : quarter.compareTo(MAX_RUN_RECHECK) > 0 ? MAX_RUN_RECHECK : quarter;
    }

    private static final class Batch {
        final Instant at;
        final List<JobSchedules.Due> fired = new ArrayList<>();
        final List<UUID> skipped = new ArrayList<>();
        final List<UUID> broken = new ArrayList<>();

        Batch(Instant at) {
            this.at = at;
        }
    }
}
