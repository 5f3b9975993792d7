package io.pollster.transport;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import io.pollster.support.IntegrationTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What every transport promises, stated through {@link Transport} alone (no HTTP API). Each
 * backend gets a subclass, which says only how a consumer dies holding a task.
 */
public abstract class TransportContractTest extends IntegrationTest {

    protected static final Duration WAIT = Duration.ofSeconds(20);

    @Autowired
    protected TransactionTemplate tx;
    @Autowired
    protected JdbcClient jdbc;
    @Autowired
    protected QueueProperties queues;

    protected final List<QueueConsumer> consumers = new ArrayList<>();
    protected final String queue = "contract-" + UUID.randomUUID();
    /** Released when the test ends: handlers that must stay busy wait on it, and never outlive their test. */
    private final CountDownLatch testEnded = new CountDownLatch(1);

    protected abstract Transport transport();

    /** What a handler does to stay busy for as long as its test needs it: it returns when the test ends. */
    protected void busyUntilTheTestEnds() throws InterruptedException {
        testEnded.await();
    }

    /**
     * Takes one task of {@link #queue} the way a consumer process does, and dies holding it: the
     * task is never acknowledged, failed or handed back. Waits for the task to be there first.
     */
    protected abstract void takeOneTaskAndDie();

    @AfterEach
    void stopConsumers() {
        testEnded.countDown();
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
    void tasksEnqueuedInARolledBackTransactionAreNeverDelivered() {
        List<String> seen = new CopyOnWriteArrayList<>();
        tx.executeWithoutResult(s -> {
            transport().enqueue(queue, List.of(bytes("rolled-back")));
            s.setRollbackOnly();
        });
        tx.executeWithoutResult(s -> transport().enqueue(queue, List.of(bytes("committed"))));
        QueueConsumer consumer = consume(handler(d -> seen.add(text(d))), 1);

        await("the task committed after the rolled-back one").atMost(WAIT).until(() -> seen.contains("committed"));
        // a stopped consumer has handled what it took or handed it back: had the rolled-back task
        // been enqueued (before the committed one), it would show now, handled or waiting
        consumer.stop(WAIT);
        assertThat(seen).containsExactly("committed");
        assertThat(waiting()).as("the queue once the consumer stopped").isEmpty();
    }

    @Test
    void sentTasksAreDurableWhenSendReturnsAndReachEveryQueue() {
        String other = queue + "-other";
        List<String> seen = new CopyOnWriteArrayList<>();
        consume(handler(d -> seen.add(text(d))), 4);
        QueueConsumer second = transport().consume(other, handler(d -> seen.add("other:" + text(d))),
                new ConsumerSettings(4, 3, Duration.ofSeconds(30), Duration.ofMillis(50)));
        consumers.add(second);

        transport().send(Map.of(queue, List.of(bytes("a"), bytes("b")), other, List.of(bytes("c"))));

        await("all three sent tasks handled").atMost(WAIT).until(() -> seen.size() == 3);
        assertThat(seen).containsExactlyInAnyOrder("a", "b", "other:c");
    }

    @Test
    void stoppingAConsumerHandsItsUnfinishedTasksToAnotherWithoutSpendingAnAttempt() {
        List<String> started = new CopyOnWriteArrayList<>();
        List<String> finished = new CopyOnWriteArrayList<>();
        QueueConsumer slow = consume(handler(d -> {
            started.add(text(d));
            busyUntilTheTestEnds();
        }), 1);
        // one task the stopped consumer is running, one it has not started (it may hold it already)
        tx.executeWithoutResult(s -> transport().enqueue(queue, List.of(bytes("running"), bytes("not-started"))));
        await("one task running").atMost(WAIT).until(() -> !started.isEmpty());

        slow.stop(Duration.ofMillis(200));
        consume(handler(d -> finished.add(text(d) + "#" + d.attempt())), 1);

        await("the other consumer to finish both tasks").atMost(WAIT).until(() -> finished.size() == 2);
        assertThat(started).hasSize(1);
        assertThat(finished).containsExactlyInAnyOrder("running#1", "not-started#1");
    }

    @Test
    void aTaskHandedBackKeepsTheAttemptsItHadSpent() {
        List<String> seen = new CopyOnWriteArrayList<>();
        QueueConsumer stopping = consume(handler(d -> {
            seen.add("stopping:" + text(d) + "#" + d.attempt());
            if (d.attempt() == 1) {
                throw new IllegalStateException("first attempt fails");
            }
            busyUntilTheTestEnds();
        }), 1, 3);
        tx.executeWithoutResult(s -> transport().enqueue(queue, List.of(bytes("task"))));
        await("the second attempt running").atMost(WAIT).until(() -> seen.contains("stopping:task#2"));

        stopping.stop(Duration.ofMillis(200));
        consume(handler(d -> seen.add("next:" + text(d) + "#" + d.attempt())), 1, 3);

        await("the task handled after the stop").atMost(WAIT).until(() -> seen.size() == 3);
        assertThat(seen).as("the failure counts, the hand-back does not")
                .containsExactly("stopping:task#1", "stopping:task#2", "next:task#2");
        assertThat(deadLetteredPayloads()).isEmpty();
    }

    @Test
    void aTaskTakenByAConsumerThatDiedIsDeliveredAgainAsItsNextAttempt() {
        tx.executeWithoutResult(s -> transport().enqueue(queue, List.of(bytes("orphan"))));
        takeOneTaskAndDie();
        List<String> seen = new CopyOnWriteArrayList<>();

        consume(handler(d -> seen.add(text(d) + "#" + d.attempt())), 1);

        await("the task delivered again").atMost(WAIT).until(() -> !seen.isEmpty());
        assertThat(seen).containsExactly("orphan#2");
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
    void aDeadLetterKeepsItsPayloadErrorAndAttemptsAndIsDeliveredWhenEnqueuedAgain() {
        AtomicBoolean failing = new AtomicBoolean(true);
        List<String> succeeded = new CopyOnWriteArrayList<>();
        consume(handler(d -> {
            if (failing.get()) {
                throw new IllegalStateException("upstream down");
            }
            succeeded.add(text(d));
        }), 1, 2);
        tx.executeWithoutResult(s -> transport().enqueue(queue, List.of(bytes("replayed"))));

        await("the dead letter").atMost(WAIT).until(() -> deadLetteredPayloads().contains("replayed"));
        Map<String, Object> letter = jdbc.sql("SELECT id, type, queue, error, attempts FROM dead_letters WHERE queue = :queue")
                .param("queue", queues.name(queue)).query().singleRow();
        assertThat(letter.get("type")).isEqualTo("poll");
        assertThat((String) letter.get("error")).contains("upstream down");
        assertThat(letter.get("attempts")).isEqualTo(2);

        failing.set(false);
        // what a replay does: the dead letter goes and its payload is enqueued, in one transaction
        tx.executeWithoutResult(s -> transport().enqueue(queue, jdbc.sql("DELETE FROM dead_letters WHERE id = :id RETURNING payload")
                .param("id", letter.get("id")).query(byte[].class).list()));

        await("the replayed task handled").atMost(WAIT).until(() -> succeeded.contains("replayed"));
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
        List<String> seen = new CopyOnWriteArrayList<>();
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
        List<String> handled = new CopyOnWriteArrayList<>();
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

    @Test
    void statsShowHowManyTasksWaitOnAQueueUntilTheyAreHandled() {
        tx.executeWithoutResult(s -> transport().enqueue(queue, List.of(bytes("1"), bytes("2"), bytes("3"))));

        await("three tasks waiting").atMost(WAIT).until(() -> waiting().map(QueueStats::depth).orElse(0L) == 3);
        List<String> seen = new CopyOnWriteArrayList<>();
        consume(handler(d -> seen.add(text(d))), 1);

        await("the three tasks handled").atMost(WAIT).until(() -> seen.size() == 3);
        await("nothing waiting any more").atMost(WAIT).until(() -> waiting().isEmpty());
    }

    @Test
    void statsNeverShowTheOldestWaitingTaskYoungerThanItIs() {
        List<String> seen = new CopyOnWriteArrayList<>();
        QueueConsumer consumer = consume(handler(d -> seen.add(text(d))), 1);
        Instant start = Instant.now().truncatedTo(ChronoUnit.MILLIS); // a broker's timestamps have milliseconds
        tx.executeWithoutResult(s -> transport().enqueue(queue, List.of(bytes("taken"))));
        await("the first task handled").atMost(WAIT).until(() -> seen.contains("taken"));
        consumer.stop(WAIT);

        tx.executeWithoutResult(s -> transport().enqueue(queue, List.of(bytes("waiting-1"), bytes("waiting-2"))));
        Instant enqueued = Instant.now();

        await("two tasks waiting").atMost(WAIT).until(() -> waiting().map(QueueStats::depth).orElse(0L) == 2);
        // exact, or (where a broker cannot tell) an earlier moment: never after the waiting tasks were enqueued
        assertThat(waiting().orElseThrow().oldest()).isNotNull().isBetween(start, enqueued);
    }

    /** What {@link Transport#stats()} says of this test's queue; empty when nothing waits on it. */
    protected Optional<QueueStats> waiting() {
        return transport().stats().stream()
                .filter(q -> q.name().equals(queues.name(queue)) && q.depth() > 0)
                .findFirst();
    }

    /** Dead letters recorded for this test's queue, by payload. */
    protected List<String> deadLetteredPayloads() {
        return jdbc.sql("SELECT payload FROM dead_letters WHERE queue = :queue")
                .param("queue", queues.name(queue))
                .query((rs, n) -> new String(rs.getBytes(1), StandardCharsets.UTF_8))
                .list();
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
