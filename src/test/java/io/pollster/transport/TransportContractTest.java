package io.pollster.transport;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import io.pollster.support.IntegrationTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** What every transport promises. Each backend gets a subclass. */
public abstract class TransportContractTest extends IntegrationTest {

    protected static final Duration WAIT = Duration.ofSeconds(20);

    @Autowired
    protected TransactionTemplate tx;

    protected final List<QueueConsumer> consumers = new ArrayList<>();
    protected final String queue = "contract-" + UUID.randomUUID();

    protected abstract Transport transport();

    /** Dead letters recorded for this test's queue, by payload. */
    protected abstract List<String> deadLetteredPayloads();

    @AfterEach
    void stopConsumers() {
        consumers.forEach(c -> c.stop(Duration.ofSeconds(5)));
    }

    @Test
    void everyCommittedTaskIsDeliveredOnceAcrossCompetingConsumers() {
        Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
        TaskHandler counting = handler(d -> seen.computeIfAbsent(text(d), k -> new AtomicInteger()).incrementAndGet());
        consume(counting, 8);
        consume(counting, 8);

        tx.executeWithoutResult(s -> transport().enqueue(queue, IntStream.range(0, 300).mapToObj(i -> bytes("t" + i)).toList()));

        await("all 300 tasks handled").atMost(WAIT).until(() -> seen.size() == 300);
        assertThat(seen.values()).allSatisfy(count -> assertThat(count.get()).isEqualTo(1));
    }

    @Test
    void tasksEnqueuedInARolledBackTransactionAreNeverDelivered() throws Exception {
        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        tx.executeWithoutResult(s -> {
            transport().enqueue(queue, List.of(bytes("rolled-back")));
            s.setRollbackOnly();
        });
        tx.executeWithoutResult(s -> transport().enqueue(queue, List.of(bytes("committed"))));
        consume(handler(d -> seen.add(text(d))), 2);

        await().atMost(WAIT).until(() -> seen.contains("committed"));
        TimeUnit.MILLISECONDS.sleep(300); // a rolled-back task has no later moment to show up; one look suffices
        assertThat(seen).containsExactly("committed");
    }

    @Test
    void sentTasksAreDurableWhenSendReturnsAndReachEveryQueue() {
        String other = queue + "-other";
        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        consume(handler(d -> seen.add(text(d))), 4);
        QueueConsumer second = transport().consume(other, handler(d -> seen.add("other:" + text(d))),
                new ConsumerSettings(4, 3, Duration.ofSeconds(30), Duration.ofMillis(50)));
        consumers.add(second);

        transport().send(Map.of(queue, List.of(bytes("a"), bytes("b")), other, List.of(bytes("c"))));

        await("all three sent tasks handled").atMost(WAIT).until(() -> seen.size() == 3);
        assertThat(seen).containsExactlyInAnyOrder("a", "b", "other:c");
    }

    @Test
    void stoppingAConsumerHandsItsUnfinishedTaskToAnother() {
        List<String> started = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<String> finished = new java.util.concurrent.CopyOnWriteArrayList<>();
        QueueConsumer slow = consume(handler(d -> {
            started.add(text(d));
            Thread.sleep(60_000);
        }), 1);
        tx.executeWithoutResult(s -> transport().enqueue(queue, List.of(bytes("handed-back"))));
        await().atMost(WAIT).until(() -> !started.isEmpty());

        slow.stop(Duration.ofMillis(200));
        consume(handler(d -> finished.add(text(d))), 1);

        await("the other consumer to finish the task").atMost(WAIT).until(() -> finished.contains("handed-back"));
    }

    @Test
    void aFailingTaskIsRetriedThenDeadLetteredNeverRequeuedForever() {
        AtomicInteger attempts = new AtomicInteger();
        consume(handler(d -> {
            attempts.incrementAndGet();
            throw new IllegalStateException("always fails");
        }), 1, 3);

        tx.executeWithoutResult(s -> transport().enqueue(queue, List.of(bytes("poison"))));

        await("the task to become a dead letter").atMost(WAIT).until(() -> deadLetteredPayloads().contains("poison"));
        assertThat(attempts.get()).isEqualTo(3);
    }

    @Test
    void aDeadLetterShowsInTheApiAndItsReplayIsDeliveredAgain() {
        java.util.concurrent.atomic.AtomicBoolean failing = new java.util.concurrent.atomic.AtomicBoolean(true);
        List<String> succeeded = new java.util.concurrent.CopyOnWriteArrayList<>();
        consume(handler(d -> {
            if (failing.get()) {
                throw new IllegalStateException("upstream down");
            }
            succeeded.add(io.pollster.schedule.PollTask.decode(d.payload()).jobId().toString());
        }), 1, 2);
        UUID job = UUID.randomUUID();
        tx.executeWithoutResult(s -> transport().enqueue(queue, List.of(io.pollster.schedule.PollTask.fire(job, null, true, null).encode())));

        await("the dead letter in the API").atMost(WAIT).until(() -> admin().get("/api/v1/dead-letters?type=poll").json()
                .get("items").valueStream().anyMatch(d -> d.get("payload").get("jobId").asString().equals(job.toString())));
        var letter = admin().get("/api/v1/dead-letters?type=poll").json().get("items").valueStream()
                .filter(d -> d.get("payload").get("jobId").asString().equals(job.toString())).findFirst().orElseThrow();
        assertThat(letter.get("error").asString()).contains("upstream down");
        assertThat(letter.get("attempts").asInt()).isEqualTo(2);

        failing.set(false);
        assertThat(admin().post("/api/v1/dead-letters/" + letter.get("id").asString() + "/replay").status()).isEqualTo(202);

        await("the replayed task handled").atMost(WAIT).until(() -> succeeded.contains(job.toString()));
        assertThat(deadLetteredPayloads()).isEmpty();
    }

    @Test
    void aTaskThatFailsOnceIsDeliveredAgainAndSucceeds() {
        AtomicInteger attempts = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(1);
        consume(handler(d -> {
            if (attempts.incrementAndGet() == 1) {
                throw new IllegalStateException("first time fails");
            }
            done.countDown();
        }), 1, 3);

        tx.executeWithoutResult(s -> transport().enqueue(queue, List.of(bytes("flaky"))));

        await().atMost(WAIT).until(() -> done.getCount() == 0);
        assertThat(attempts.get()).isEqualTo(2);
        assertThat(deadLetteredPayloads()).isEmpty();
    }

    @Test
    void aTaskPutBackForLaterComesBackAsItsNewPayloadWithoutSpendingAnAttempt() {
        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        consume(new TaskHandler() {
            @Override
            public Result handle(Delivery delivery) {
                seen.add(text(delivery) + "#" + delivery.attempt());
                return text(delivery).equals("first") ? new Later(Duration.ofMillis(300), bytes("second")) : DONE;
            }

            @Override
            public DeadLetterInfo abandon(byte[] payload, String error) {
                return new DeadLetterInfo(DeadLetterType.POLL, null, null);
            }
        }, 1, 1);
        long enqueued = System.nanoTime();

        tx.executeWithoutResult(s -> transport().enqueue(queue, List.of(bytes("first"))));

        await("the task back, later").atMost(WAIT).until(() -> seen.size() == 2);
        assertThat(seen).containsExactly("first#1", "second#1");
        assertThat(Duration.ofNanos(System.nanoTime() - enqueued)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        assertThat(deadLetteredPayloads()).as("one attempt allowed, none spent by the wait").isEmpty();
    }

    @Test
    void anErrorInAHandlerIsAFailedAttemptThenADeadLetterAndTheConsumerGoesOn() {
        List<String> handled = new java.util.concurrent.CopyOnWriteArrayList<>();
        AtomicInteger errors = new AtomicInteger();
        consume(handler(d -> {
            if (text(d).equals("bomb")) {
                errors.incrementAndGet();
                throw new OutOfMemoryError("a test's stand-in for a hostile answer");
            }
            handled.add(text(d));
        }), 1, 2);

        tx.executeWithoutResult(s -> transport().enqueue(queue, List.of(bytes("bomb"), bytes("after"))));

        await("the bomb dead-lettered once").atMost(WAIT).until(() -> deadLetteredPayloads().contains("bomb"));
        await("the next task handled").atMost(WAIT).until(() -> handled.contains("after"));
        assertThat(errors.get()).isEqualTo(2);
        assertThat(deadLetteredPayloads()).containsExactly("bomb");
    }

    protected QueueConsumer consume(TaskHandler handler, int concurrency) {
        return consume(handler, concurrency, 5);
    }

    protected QueueConsumer consume(TaskHandler handler, int concurrency, int maxAttempts) {
        QueueConsumer consumer = transport().consume(queue, handler,
                new ConsumerSettings(concurrency, maxAttempts, Duration.ofSeconds(30), Duration.ofMillis(50)));
        consumers.add(consumer);
        return consumer;
    }

    protected static TaskHandler handler(ThrowingConsumer body) {
        return new TaskHandler() {
            @Override
            public Result handle(Delivery delivery) throws Exception {
                body.accept(delivery);
                return DONE;
            }

            @Override
            public DeadLetterInfo abandon(byte[] payload, String error) {
                return new DeadLetterInfo(DeadLetterType.POLL, null, null);
            }
        };
    }

    protected interface ThrowingConsumer {
        void accept(TaskHandler.Delivery delivery) throws Exception;
    }

    protected static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    protected static String text(TaskHandler.Delivery delivery) {
        return new String(delivery.payload(), StandardCharsets.UTF_8);
    }
}
