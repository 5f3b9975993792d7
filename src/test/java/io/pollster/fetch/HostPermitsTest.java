package io.pollster.fetch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;

class HostPermitsTest {

    @Test
    void blocksTheNextCallerUntilASlotIsFreedAndThenForgetsTheHost() throws InterruptedException {
        var permits = new HostPermits(1);
        var acquiredSecond = new AtomicBoolean();

        HostPermits.Permit first = permits.acquire("api.example.com", Duration.ofSeconds(30));
        Thread second = Thread.ofVirtual().start(() -> {
            try (HostPermits.Permit permit = permits.acquire("API.example.com", Duration.ofSeconds(30))) {
                acquiredSecond.set(true);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try (HostPermits.Permit otherHost = permits.acquire("other.example.com", Duration.ofSeconds(30))) {
            assertThat(permits.trackedHosts()).isEqualTo(2);
        }
        await("the second caller waits").during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(1)).untilFalse(acquiredSecond);

        first.close();

        await("the second caller gets the slot").atMost(Duration.ofSeconds(5)).untilTrue(acquiredSecond);
        second.join(Duration.ofSeconds(5));
        assertThat(permits.trackedHosts()).isZero();
    }

    @Test
    void aBusyHostGivesNoSlotOnceTheWaitIsOver() throws Exception {
        HostPermits permits = new HostPermits(1);
        try (HostPermits.Permit held = permits.acquire("slow.example.com", Duration.ofSeconds(1))) {
            assertThat(held).isNotNull();
            assertThat(permits.acquire("slow.example.com", Duration.ofMillis(50))).isNull();
        }
        assertThat(permits.trackedHosts()).isZero();
    }
}
