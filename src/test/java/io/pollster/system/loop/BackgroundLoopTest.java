package io.pollster.system.loop;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class BackgroundLoopTest {

    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.now());
    private final Loops loops = new Loops(new Clock() {
        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    });

    @Test
    void aRoundRunningFarLongerThanAnyRoundShouldMakesTheHealthDown() throws Exception {
        CountDownLatch inRound = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        BackgroundLoop loop = loops.create("stuck", Duration.ofMillis(10), () -> {
            inRound.countDown();
            release.await(30, TimeUnit.SECONDS);
            return Duration.ofHours(1);
        });
        loop.start();
        try {
            assertThat(inRound.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(loops.health().getStatus()).as("a round under way").isEqualTo(Status.UP);

            now.set(Instant.now().plus(Loops.HUNG).plusSeconds(1));

            var health = loops.health();
            assertThat(health.getStatus()).isEqualTo(Status.DOWN);
            assertThat(health.getDetails().get("stuck").toString()).contains("hungSince");
            release.countDown();
            await("the round ends").atMost(Duration.ofSeconds(5)).until(() -> loops.health().getStatus().equals(Status.UP));
        } finally {
            release.countDown();
            loop.stop(Duration.ofSeconds(5));
        }
    }

    @Test
    void aRoundThatThrowsAnErrorIsLoggedAndTheLoopGoesOn() {
        AtomicInteger rounds = new AtomicInteger();
        BackgroundLoop loop = loops.create("erring", Duration.ofMillis(10), () -> {
            if (rounds.incrementAndGet() <= 2) {
                throw new StackOverflowError("a test's stand-in");
            }
            return Duration.ofMillis(10);
        });
        loop.start();
        try {
            await().atMost(Duration.ofSeconds(5)).until(() -> rounds.get() >= 5);

            var health = loops.health();
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            @SuppressWarnings("unchecked")
            Map<String, Object> detail = (Map<String, Object>) health.getDetails().get("erring");
            assertThat(detail).containsEntry("failures", 2L).containsEntry("alive", true);
            assertThat(detail).doesNotContainKey("lastFailure"); // it has worked since
        } finally {
            assertThat(loop.stop(Duration.ofSeconds(5))).isTrue();
        }
    }

    @Test
    void wakeEndsAWaitEarly() {
        AtomicInteger rounds = new AtomicInteger();
        BackgroundLoop loop = loops.create("sleepy", Duration.ofMillis(10), () -> {
            rounds.incrementAndGet();
            return Duration.ofHours(1);
        });
        loop.start();
        try {
            await().atMost(Duration.ofSeconds(5)).until(() -> rounds.get() == 1);
            loop.wake();
            await("a second round at once").atMost(Duration.ofSeconds(5)).until(() -> rounds.get() == 2);
        } finally {
            loop.stop(Duration.ofSeconds(5));
        }
    }

    @Test
    void stopLetsTheRoundInFlightFinishWithoutInterruptingIt() throws Exception {
        CountDownLatch inRound = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        AtomicInteger finished = new AtomicInteger();
        BackgroundLoop loop = loops.create("busy", Duration.ofMillis(10), () -> {
            inRound.countDown();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (release.getCount() > 0 && System.nanoTime() < deadline) {
                interrupted.compareAndSet(false, Thread.currentThread().isInterrupted());
                Thread.onSpinWait();
            }
            finished.incrementAndGet();
            return Duration.ZERO;
        });
        loop.start();
        assertThat(inRound.await(5, TimeUnit.SECONDS)).isTrue();

        assertThat(loop.stop(Duration.ofMillis(100))).as("the round is still running past the bound").isFalse();
        release.countDown();

        await().atMost(Duration.ofSeconds(5)).until(() -> finished.get() == 1);
        assertThat(interrupted).isFalse();
        assertThat(loop.isRunning()).isFalse();
        await("the loop's thread ends").atMost(Duration.ofSeconds(5)).until(() -> loop.stop(Duration.ofMillis(10)));
        assertThat(finished.get()).as("no round after stop").isEqualTo(1);
    }
}
