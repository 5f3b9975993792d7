package io.pollster.fetch;

import io.pollster.system.Durations;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

/** Backoff arithmetic, Retry-After reading and the durations error messages quote. */
class RetryPolicyTest {

    @Test
    void doublesTheBackoffPerRetryUpToMaxBackoff() {
        var policy = new RetryPolicy(10, Duration.ofSeconds(1), Duration.ofSeconds(5));

        assertThat(policy.backoffBefore(1)).isEqualTo(Duration.ofSeconds(1));
        assertThat(policy.backoffBefore(2)).isEqualTo(Duration.ofSeconds(2));
        assertThat(policy.backoffBefore(3)).isEqualTo(Duration.ofSeconds(4));
        assertThat(policy.backoffBefore(4)).isEqualTo(Duration.ofSeconds(5));
        assertThat(policy.backoffBefore(1_000)).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void retriesAfterAJitteredExponentialBackoffCappedAtMaxBackoff() {
        var policy = new RetryPolicy(4, Duration.ofMillis(100), Duration.ofMillis(250));
        FetchResult.Failed serverError = failed(502, true, null);

        assertThat(delay(policy.after(1, serverError))).isBetween(Duration.ofMillis(50), Duration.ofMillis(100));
        assertThat(delay(policy.after(2, serverError))).isBetween(Duration.ofMillis(100), Duration.ofMillis(200));
        assertThat(delay(policy.after(3, serverError))).isBetween(Duration.ofMillis(125), Duration.ofMillis(250));
        assertThat(policy.after(4, serverError)).isEqualTo(new RetryPolicy.GiveUp("HTTP 502"));
    }

    @Test
    void waitsAtLeastWhatRetryAfterAsks() {
        var policy = new RetryPolicy(3, Duration.ofMillis(10), Duration.ofSeconds(5));

        assertThat(delay(policy.after(1, failed(429, true, Duration.ofSeconds(1))))).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void givesUpAtOnceWhenRetryAfterExceedsMaxBackoff() {
        var policy = new RetryPolicy(3, Duration.ofMillis(10), Duration.ofMinutes(1));
        var maintenance = new FetchResult.Failed(503, "HTTP 503 Service Unavailable", true, Duration.ofMinutes(2), Duration.ZERO);

        assertThat(policy.after(1, maintenance)).isEqualTo(new RetryPolicy.GiveUp(
                "HTTP 503 Service Unavailable; upstream asked to wait 2m (Retry-After), longer than maxBackoff 1m"));
    }

    @Test
    void neverRetriesWhatCannotGetBetter() {
        var policy = new RetryPolicy(5, Duration.ofMillis(10), Duration.ofSeconds(1));

        assertThat(policy.after(1, failed(null, false, null))).isInstanceOf(RetryPolicy.GiveUp.class);
    }

    private static FetchResult.Failed failed(Integer status, boolean retryable, Duration retryAfter) {
        return new FetchResult.Failed(status, "HTTP " + status, retryable, retryAfter, Duration.ZERO);
    }

    private static Duration delay(RetryPolicy.Decision decision) {
        assertThat(decision).isInstanceOf(RetryPolicy.RetryAfter.class);
        return ((RetryPolicy.RetryAfter) decision).delay();
    }

    @Test
    void rejectsPoliciesThatCannotWork() {
        assertThatIllegalArgumentException().isThrownBy(() -> new RetryPolicy(0, Duration.ZERO, Duration.ZERO))
                .withMessage("maxAttempts must be at least 1");
        assertThatIllegalArgumentException().isThrownBy(() -> new RetryPolicy(3, Duration.ofSeconds(-1), Duration.ZERO));
        assertThatIllegalArgumentException().isThrownBy(() -> new RetryPolicy(3, Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .withMessage("maxBackoff must not be shorter than backoff");
    }

    @Test
    void readsRetryAfterAsSecondsOrAnHttpDate() {
        Instant now = Instant.parse("2025-01-01T12:00:00Z");

        assertThat(RetryAfter.parse("1", now)).contains(Duration.ofSeconds(1));
        assertThat(RetryAfter.parse(" 120 ", now)).contains(Duration.ofMinutes(2));
        assertThat(RetryAfter.parse("Wed, 01 Jan 2025 12:00:30 GMT", now)).contains(Duration.ofSeconds(30));
        assertThat(RetryAfter.parse("Wed, 01 Jan 2025 11:00:00 GMT", now)).contains(Duration.ZERO);
        assertThat(RetryAfter.parse("soon", now)).isEmpty();
        assertThat(RetryAfter.parse(null, now)).isEmpty();
    }

    @Test
    void writesDurationsTheWayPeopleDo() {
        assertThat(Durations.format(Duration.ofMillis(300))).isEqualTo("300ms");
        assertThat(Durations.format(Duration.ofSeconds(2))).isEqualTo("2s");
        assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1.5s");
        assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("1m30s");
        assertThat(Durations.format(Duration.ofMinutes(1))).isEqualTo("1m");
        assertThat(Durations.format(Duration.ofHours(2).plusMinutes(5))).isEqualTo("2h5m");
    }
}
