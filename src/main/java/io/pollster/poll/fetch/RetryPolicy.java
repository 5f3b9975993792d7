package io.pollster.poll.fetch;

import java.time.Duration;
import java.util.Objects;

/**
 * How often to try a fetch and how long to wait in between.
 *
 * @param maxAttempts attempts in total, at least 1
 * @param backoff     wait before the first retry; each further retry waits twice as long
 * @param maxBackoff  longest wait between two attempts; an upstream that asks for a longer one
 *                    with {@code Retry-After} makes the fetch fail instead
 */
public record RetryPolicy(int maxAttempts, Duration backoff, Duration maxBackoff) {

    /** One attempt, no retries. */
    public static final RetryPolicy NONE = new RetryPolicy(1, Duration.ZERO, Duration.ZERO);

    public RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1");
        }
        Objects.requireNonNull(backoff, "backoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        if (backoff.isNegative() || maxBackoff.isNegative()) {
            throw new IllegalArgumentException("backoff and maxBackoff must not be negative");
        }
        if (maxBackoff.compareTo(backoff) < 0) {
            throw new IllegalArgumentException("maxBackoff must not be shorter than backoff");
        }
    }

    /** The wait before retry {@code n} (1 = the second attempt), before jitter: {@code backoff * 2^(n-1)}, capped. */
    Duration backoffBefore(int retry) {
        Duration wait = backoff;
        for (int i = 1; i < retry && wait.compareTo(maxBackoff) < 0; i++) {
            wait = wait.multipliedBy(2);
        }
        return wait.compareTo(maxBackoff) > 0 ? maxBackoff : wait;
    }
}
