package io.pollster.output;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import io.pollster.job.OutputDefinition;

/**
 * When a failed delivery is tried again. Without the output's own {@code retry}: 6 attempts,
 * waiting about 5 s, 1 m, 5 m, 30 m and 2 h in between. With it: {@code backoff}, doubling up to
 * {@code maxBackoff}. Each wait is jittered (between 80 % and 100 % of it), and at least what a 429
 * or 503 asked for with {@code Retry-After} (up to a day).
 */
record DeliveryRetry(int maxAttempts, List<Duration> waits, Duration backoff, Duration maxBackoff) {

    private static final DeliveryRetry DEFAULT = new DeliveryRetry(6, List.of(Duration.ofSeconds(5), Duration.ofMinutes(1),
            Duration.ofMinutes(5), Duration.ofMinutes(30), Duration.ofHours(2)), null, null);
    private static final Duration LONGEST_RETRY_AFTER = Duration.ofDays(1);

    static DeliveryRetry of(OutputDefinition.Retry retry) {
        return retry == null ? DEFAULT : new DeliveryRetry(retry.maxAttempts(), null, retry.backoff(), retry.maxBackoff());
    }

    /** Whether attempt {@code attempt} (from 1) was the last. */
    boolean exhausted(int attempt) {
        return attempt >= maxAttempts;
    }

    /** The wait after attempt {@code attempt} failed. */
    Duration after(int attempt, Duration retryAfter) {
        Duration wait;
        if (waits != null) {
            wait = waits.get(Math.min(attempt, waits.size()) - 1);
        } else {
            wait = backoff;
            for (int i = 1; i < attempt && wait.compareTo(maxBackoff) < 0; i++) {
                wait = wait.multipliedBy(2);
            }
            wait = wait.compareTo(maxBackoff) > 0 ? maxBackoff : wait;
        }
        wait = Duration.ofNanos((long) (wait.toNanos() * (0.8 + 0.2 * ThreadLocalRandom.current().nextDouble())));
        if (retryAfter != null) {
            Duration asked = retryAfter.compareTo(LONGEST_RETRY_AFTER) > 0 ? LONGEST_RETRY_AFTER : retryAfter;
            wait = wait.compareTo(asked) < 0 ? asked : wait;
        }
        return wait;
    }
}
