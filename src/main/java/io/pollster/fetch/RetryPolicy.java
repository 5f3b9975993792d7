package io.pollster.fetch;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

import io.pollster.system.Durations;

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

    /** What to do after a failed attempt. */
    public sealed interface Decision {
    }

    /** Try again after this wait. */
    public record RetryAfter(Duration delay) implements Decision {
    }

    /** No more attempts; {@code error} says why (the failure's own error, perhaps with a reason added). */
    public record GiveUp(String error) implements Decision {
    }

    /**
     * After attempt {@code attempt} (from 1) failed: retry after an exponential backoff with
     * jitter — at least what a 429 or 503 asked for with {@code Retry-After} — or give up when the
     * failure is not worth retrying, the attempts are spent, or the upstream asks for a longer wait
     * than {@code maxBackoff}.
     */
    public Decision after(int attempt, FetchResult.Failed failure) {
        if (!failure.retryable() || attempt >= maxAttempts) {
            return new GiveUp(failure.error());
        }
        Duration wait = jittered(backoffBefore(attempt));
        if (failure.retryAfter() != null) {
            if (failure.retryAfter().compareTo(maxBackoff) > 0) {
                return new GiveUp(failure.error() + "; upstream asked to wait " + Durations.format(failure.retryAfter())
                        + " (Retry-After), longer than maxBackoff " + Durations.format(maxBackoff));
            }
            wait = wait.compareTo(failure.retryAfter()) < 0 ? failure.retryAfter() : wait;
        }
        return new RetryAfter(wait);
    }

    /** The wait before retry {@code n} (1 = the second attempt), before jitter: {@code backoff * 2^(n-1)}, capped. */
    Duration backoffBefore(int retry) {
        Duration wait = backoff;
        for (int i = 1; i < retry && wait.compareTo(maxBackoff) < 0; i++) {
            wait = wait.multipliedBy(2);
        }
        return wait.compareTo(maxBackoff) > 0 ? maxBackoff : wait;
    }

    private static Duration jittered(Duration wait) {
        // why: between half and all of the backoff, so that jobs failing together do not retry together
        double factor = 0.5 + 0.5 * ThreadLocalRandom.current().nextDouble();
        return Duration.ofNanos((long) (wait.toNanos() * factor));
    }
}
