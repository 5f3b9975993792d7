package io.pollster.poll.fetch;

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
