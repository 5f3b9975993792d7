package io.pollster.transport;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.pollster.system.NodeId;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class PostgresTransportTest extends TransportContractTest {

    @Autowired
    private Transport transport;
    @Autowired
    private DeadLetterSink deadLetters;

    @Override
    protected Transport transport() {
        return transport;
    }

    /** A claim by another node that never comes back: it lapses after its visibility timeout. */
    @Override
    protected void takeOneTaskAndDie() {
        PostgresQueue deadNode = new PostgresQueue(jdbc, tx, Clock.systemUTC(), new NodeId(), deadLetters);
        assertThat(deadNode.claim(queues.name(queue), 10, Duration.ofSeconds(1))).hasSize(1);
    }

    @Test
    void aTaskWhoseHandlersKeepDyingIsDeadLetteredOnItsNextClaimWithoutRunningIt() {
        tx.executeWithoutResult(s -> transport.enqueue(queue, List.of(bytes("kills its node"))));
        // three deliveries whose handlers never came back (each process died): claimed, never settled
        jdbc.sql("UPDATE queue_tasks SET attempts = 3 WHERE queue = :q").param("q", queues.name(queue)).update();
        List<String> seen = new CopyOnWriteArrayList<>();

        consume(handler(d -> seen.add(text(d))), 1, 3);

        await("the task dead-lettered").atMost(Duration.ofSeconds(10)).until(() -> deadLetteredPayloads().contains("kills its node"));
        assertThat(seen).isEmpty();
        assertThat(jdbc.sql("SELECT error FROM dead_letters").query(String.class).single())
                .contains("delivered 3 times without finishing");
    }

    @Test
    void stoppingHandsUnfinishedTasksBackAtOnce() {
        tx.executeWithoutResult(s -> transport.enqueue(queue, List.of(bytes("slow"))));
        List<String> started = new CopyOnWriteArrayList<>();
        QueueConsumer slow = consume(handler(d -> {
            started.add(text(d));
            busyUntilTheTestEnds();
        }), 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> !started.isEmpty());

        slow.stop(Duration.ofMillis(200));

        Integer visibleNow = jdbc.sql("SELECT count(*) FROM queue_tasks WHERE queue = :q AND visible_at <= now() AND leased_by IS NULL")
                .param("q", queues.name(queue)).query(Integer.class).single();
        assertThat(visibleNow).isEqualTo(1);
    }

    @Test
    void aWorkerWhoseClaimWasTakenOverCanNeitherAcknowledgeNorRetryTheTask() {
        tx.executeWithoutResult(s -> transport.enqueue(queue, List.of(bytes("contested"))));
        PostgresQueue first = new PostgresQueue(jdbc, tx, Clock.systemUTC(), new NodeId(), deadLetters);
        PostgresQueue second = new PostgresQueue(jdbc, tx, Clock.systemUTC(), new NodeId(), deadLetters);
        long id = first.claim(queues.name(queue), 1, Duration.ZERO).getFirst().id();
        assertThat(second.claim(queues.name(queue), 1, Duration.ofMinutes(1))).hasSize(1);

        first.acknowledge(List.of(id));
        first.retry(id, 1, Duration.ZERO, "late");
        first.deadLetter(id, 1, new TaskHandler() {
            @Override
            public Result handle(Delivery delivery) {
                return DONE;
            }

            @Override
            public DeadLetterInfo abandon(byte[] payload, String error) {
                throw new AssertionError("a task whose claim was taken over is not the old claimant's to abandon");
            }
        }, "late");

        assertThat(jdbc.sql("SELECT attempts FROM queue_tasks WHERE id = :id").param("id", id).query(Integer.class).single())
                .isEqualTo(2);
        assertThat(deadLetteredPayloads()).isEmpty();
    }

    @Test
    void aHandlerRunningLongerThanTheVisibilityTimeoutKeepsItsTaskThroughHeartbeats() {
        List<String> seen = new CopyOnWriteArrayList<>();
        ConsumerSettings shortLease = new ConsumerSettings(2, 5, Duration.ofMillis(300), Duration.ofMillis(50));
        QueueConsumer slow = transport.consume(queue, handler(d -> {
            seen.add(text(d));
            Thread.sleep(1500);
        }), shortLease);
        tx.executeWithoutResult(s -> transport.enqueue(queue, List.of(bytes("long"))));
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains("long"));
        QueueConsumer rival = transport.consume(queue, handler(d -> seen.add("rival:" + text(d))), shortLease);
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> jdbc.sql("SELECT count(*) FROM queue_tasks WHERE queue = :q")
                    .param("q", queues.name(queue)).query(Integer.class).single() == 0);
        } finally {
            slow.stop(Duration.ofSeconds(5));
            rival.stop(Duration.ofSeconds(5));
        }
        assertThat(seen).containsExactly("long");
    }
}
