package io.pollster.schedule;

import java.time.Duration;
import java.time.Instant;

/**
 * Where a job's schedule stands after its definition is written — the scheduling rules for a
 * new, edited, started or stopped job, in one place with the scheduler that applies the rest.
 *
 * @param intervalMs  the fixed interval, or null for a cron job
 * @param cron        the cron expression, or null for an interval job
 * @param effectiveMs an adaptive job's current interval, or null
 * @param nextDueAt   the next grid time; null for a stopped job
 * @param nextRunAt   when it fires next (the due time plus jitter); null for a stopped job
 */
public record JobSchedule(Long intervalMs, String cron, long jitterMs, Long effectiveMs, Instant nextDueAt,
                          Instant nextRunAt) {

    /** A stopped job keeps its rules and has no due time. */
    public static JobSchedule stopped(Duration interval, String cron, Duration jitter, Duration effective) {
        return new JobSchedule(interval == null ? null : interval.toMillis(), cron, jitter.toMillis(),
                effective == null ? null : effective.toMillis(), null, null);
    }

    /**
     * An active job: an adaptive one on its effective interval, the others on {@code schedule}.
     *
     * @param fireNow true for a new or (re)started job: it fires at once; otherwise the schedule's
     *                first due time counts from {@code now}
     */
    public static JobSchedule active(Schedule schedule, Duration interval, String cron, Duration jitter, Duration effective,
                                     Instant now, boolean fireNow) {
        Schedule followed = effective != null ? new Schedule.Every(effective) : schedule;
        Instant due = fireNow ? now : followed.firstFrom(now);
        JobSchedule rules = stopped(interval, cron, jitter, effective);
        return new JobSchedule(rules.intervalMs, cron, rules.jitterMs, rules.effectiveMs, due, Jitter.apply(due, jitter));
    }
}
