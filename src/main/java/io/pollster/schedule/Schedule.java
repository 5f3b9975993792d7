package io.pollster.schedule;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

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

    /**
     * A 5-field Unix cron expression in UTC. As in Unix cron, when both day of month and day of
     * week are restricted (neither starts with {@code *}), a day matching either one fires — Spring's
     * {@link CronExpression}, used underneath, would require both.
     */
    record Cron(String expression) implements Schedule {

        private static final Map<String, List<CronExpression>> PARSED = new ConcurrentHashMap<>();

        public Cron {
            parse(expression);
        }

        /** @throws IllegalArgumentException unless {@code expression} is a valid 5-field cron */
        public static List<CronExpression> parse(String expression) {
            List<CronExpression> cached = PARSED.get(expression);
            if (cached != null) {
                return cached;
            }
            String[] f = expression.strip().split("\\s+");
            if (f.length != 5) {
                throw new IllegalArgumentException("must be a 5-field cron expression (minute hour day month weekday)");
            }
            List<CronExpression> parsed;
            try {
                parsed = f[2].startsWith("*") || f[4].startsWith("*")
                        ? List.of(CronExpression.parse(String.join(" ", "0", f[0], f[1], f[2], f[3], f[4])))
                        : List.of(CronExpression.parse(String.join(" ", "0", f[0], f[1], f[2], f[3], "*")),
                                  CronExpression.parse(String.join(" ", "0", f[0], f[1], "*", f[3], f[4])));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("is not a valid cron expression: " + e.getMessage());
            }
            if (PARSED.size() > 10_000) {
                PARSED.clear();
            }
            PARSED.put(expression, parsed);
            return parsed;
        }

        @Override
        public Instant nextAfter(Instant due, Instant now) {
            return firstFrom(now.isAfter(due) ? now : due);
        }

        /** @throws IllegalStateException when the expression never fires again (e.g. 30 February) */
        @Override
        public Instant firstFrom(Instant now) {
            ZonedDateTime from = now.atZone(ZoneOffset.UTC);
            return parse(expression).stream()
                    .map(cron -> cron.next(from))
                    .filter(Objects::nonNull)
                    .map(ZonedDateTime::toInstant)
                    .min(Instant::compareTo)
                    .orElseThrow(() -> new IllegalStateException("cron expression " + expression + " never fires"));
        }
    }
}
