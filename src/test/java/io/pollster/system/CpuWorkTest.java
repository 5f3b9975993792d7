package io.pollster.system;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class CpuWorkTest {

    @Test
    void oneUsersHeavyWorkTakesHalfTheThreadsAndOthersRunBesideIt() throws Exception {
        UUID mallory = UUID.randomUUID();
        UUID bob = UUID.randomUUID();
        CountDownLatch release = new CountDownLatch(1);
        try (CpuWork cpu = new CpuWork(2, "test-cpu"); ExecutorService polls = Executors.newVirtualThreadPerTaskExecutor()) {
            var first = polls.submit(() -> cpu.call(mallory, () -> release.await(30, TimeUnit.SECONDS)));
            var second = polls.submit(() -> cpu.call(mallory, () -> release.await(30, TimeUnit.SECONDS)));
            await().atMost(Duration.ofSeconds(10)).until(() -> cpu.running(mallory) == 1);

            CompletableFuture<String> bobs = CompletableFuture.supplyAsync(() -> call(cpu, bob));

            assertThat(bobs.get(10, TimeUnit.SECONDS)).as("bob's work runs while mallory's second waits").isEqualTo("done");
            assertThat(second.isDone()).isFalse();
            release.countDown();
            assertThat(first.get(10, TimeUnit.SECONDS)).isTrue();
            assertThat(second.get(10, TimeUnit.SECONDS)).isTrue();
            assertThat(cpu.running(mallory)).isZero();
        }
    }

    @Test
    void aUserWithAsManyCallsWaitingAsAllowedIsRefusedAtOnceAndOthersAreNot() throws Exception {
        UUID mallory = UUID.randomUUID();
        UUID bob = UUID.randomUUID();
        CountDownLatch release = new CountDownLatch(1);
        try (CpuWork cpu = new CpuWork(2, "test-cpu"); ExecutorService calls = Executors.newVirtualThreadPerTaskExecutor()) {
            var running = calls.submit(() -> cpu.call(mallory, 1, () -> release.await(30, TimeUnit.SECONDS)));
            await().atMost(Duration.ofSeconds(10)).until(() -> cpu.running(mallory) == 1);
            var waiting = calls.submit(() -> cpu.call(mallory, 1, () -> "second"));
            await().atMost(Duration.ofSeconds(10)).until(() -> cpu.waiting(mallory) == 1);

            assertThatThrownBy(() -> cpu.call(mallory, 1, () -> "third")).isInstanceOf(CpuWork.Crowded.class);
            assertThat(cpu.call(bob, 1, () -> "bob's")).isEqualTo("bob's");

            release.countDown();
            assertThat(running.get(10, TimeUnit.SECONDS)).isTrue();
            assertThat(waiting.get(10, TimeUnit.SECONDS)).isEqualTo("second");
            assertThat(cpu.waiting(mallory)).isZero();
        }
    }

    private static String call(CpuWork cpu, UUID owner) {
        try {
            return cpu.call(owner, () -> "done");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
