package io.pollster.fetch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

import io.pollster.user.UserId;
import org.junit.jupiter.api.Test;

class HostPermitsTest {

    private static final UserId ALICE = new UserId(UUID.randomUUID());
    private static final UserId BOB = new UserId(UUID.randomUUID());

    @Test
    void blocksTheNextCallerUntilASlotIsFreedAndThenForgetsTheHost() throws InterruptedException {
        var permits = new HostPermits(1, 1);
        var acquiredSecond = new AtomicBoolean();

        HostPermits.Permit first = permits.acquire("api.example.com", ALICE, Duration.ofSeconds(30));
        Thread second = Thread.ofVirtual().start(() -> {
            try (HostPermits.Permit permit = permits.acquire("API.example.com", BOB, Duration.ofSeconds(30))) {
                acquiredSecond.set(true);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try (HostPermits.Permit otherHost = permits.acquire("other.example.com", ALICE, Duration.ofSeconds(30))) {
            assertThat(otherHost).isNotNull();
        }
        await("the second caller waits").during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(1)).untilFalse(acquiredSecond);

        first.close();

        await("the second caller gets the slot").atMost(Duration.ofSeconds(5)).untilTrue(acquiredSecond);
        second.join(Duration.ofSeconds(5));
        assertThat(permits.tracked()).isZero();
    }

    @Test
    void aBusyHostGivesNoSlotOnceTheWaitIsOver() throws Exception {
        HostPermits permits = new HostPermits(1, 1);
        try (HostPermits.Permit held = permits.acquire("slow.example.com", ALICE, Duration.ofSeconds(1))) {
            assertThat(held).isNotNull();
            assertThat(permits.acquire("slow.example.com", BOB, Duration.ofMillis(50))).isNull();
        }
        assertThat(permits.tracked()).isZero();
    }

    @Test
    void aUserHoldsAtMostTheirShareOfAHostAndTheOthersGetTheRestAtOnce() throws Exception {
        HostPermits permits = new HostPermits(4, 2);
        try (HostPermits.Permit a = permits.acquire("api.example.com", ALICE, Duration.ZERO);
             HostPermits.Permit b = permits.acquire("api.example.com", ALICE, Duration.ZERO)) {
            assertThat(a).isNotNull();
            assertThat(b).isNotNull();
            assertThat(permits.acquire("api.example.com", ALICE, Duration.ofMillis(50))).as("past Alice's share").isNull();
            assertThat(permits.acquire("other.example.com", ALICE, Duration.ZERO)).as("another host is another share")
                    .isNotNull().satisfies(HostPermits.Permit::close);
            try (HostPermits.Permit c = permits.acquire("api.example.com", BOB, Duration.ZERO);
                 HostPermits.Permit d = permits.acquire("api.example.com", BOB, Duration.ZERO)) {
                assertThat(c).isNotNull();
                assertThat(d).isNotNull();
                assertThat(permits.acquire("api.example.com", new UserId(UUID.randomUUID()), Duration.ofMillis(50)))
                        .as("the host's own bound still holds").isNull();
            }
        }
        assertThat(permits.tracked()).isZero();
    }
}
