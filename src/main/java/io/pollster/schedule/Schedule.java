package io.pollster.schedule;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;

import org.springframework.scheduling.support.CronExpression;

/** When a job is due: every fixed interval, or on a 5-field Unix cron expression in UTC. */
public sealed interface Schedule {

    /**
     * The next due time after a fire that was due at {@code due} and happened at {@code now}.
     * Missed due times (downtime) collapse: the result is always after {@code now}.
     */
    Instant nextAfter(Instant due, Instant now);

    /** The first due time when the schedule starts (or restarts) at {@code now}. */
    Instant firstFrom(Instant now);

    record Every(Duration interval) implements Schedule {
        public Every {
            if (interval.isZero() || interval.isNegative()) {
                throw new IllegalArgumentException("interval must be positive");
            }
        }

        @Override
        public Instant nextAfter(Instant due, Instant now) {
            long step = interval.toNanos();
            long behind = Duration.between(due, now).toNanos();
            long steps = behind < 0 ? 1 : behind / step + 1; // stay on the grid, skip what was missed
            return due.plusNanos(step * steps);
        }

        @Override
        public Instant firstFrom(Instant now) {
            return now.plus(interval);
        }
    }

    record Cron(String expression) implements Schedule {

        public Cron {
            parse(expression);
        }

        /** @throws IllegalArgumentException unless {@code expression} is a valid 5-field cron */
        public static CronExpression parse(String expression) {
            String[] fields = expression.strip().split("\\s+");
            if (fields.length != 5) {
                throw new IllegalArgumentException("must be a 5-field cron expression (minute hour day month weekday)");
            }
            try {
                return CronExpression.parse("0 " + String.join(" ", fields));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("is not a valid cron expression: " + e.getMessage());
            }
        }

        @Override
        public Instant nextAfter(Instant due, Instant now) {
            return firstFrom(now.isAfter(due) ? now : due);
        }

        @Override
        public Instant firstFrom(Instant now) {
            ZonedDateTime next = parse(expression).next(now.atZone(ZoneOffset.UTC));
            if (next == null) {
                throw new IllegalStateException("cron expression " + expression + " has no next time");
            }
            return next.toInstant();
        }
    }
}
