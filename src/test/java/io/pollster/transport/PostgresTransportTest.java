package io.pollster.transport;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.pollster.system.NodeId;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class PostgresTransportTest extends TransportContractTest {

    @Autowired
    private Transport transport;
    @Autowired
    private JdbcClient jdbc;
    @Autowired
    private QueueProperties properties;

    @Override
    protected Transport transport() {
        return transport;
    }

    @Override
    protected List<String> deadLetteredPayloads() {
        return jdbc.sql("SELECT payload FROM dead_letters WHERE queue = :queue")
                .param("queue", properties.name(queue))
                .query((rs, n) -> new String(rs.getBytes(1), StandardCharsets.UTF_8))
                .list();
    }

    @Test
    void aTaskClaimedByAConsumerThatDiedIsDeliveredAgainOnceItsClaimLapses() {
        tx.executeWithoutResult(s -> transport.enqueue(queue, List.of(bytes("orphan"))));
        PostgresQueue deadNode = new PostgresQueue(jdbc, tx, Clock.systemUTC(), new NodeId());
        assertThat(deadNode.claim(properties.name(queue), 10, Duration.ofSeconds(1))).hasSize(1);
        List<String> seen = new CopyOnWriteArrayList<>();

        consume(handler(d -> seen.add(text(d) + "#" + d.attempt())), 1);

        await("the lapsed claim to be redelivered").atMost(Duration.ofSeconds(10)).until(() -> !seen.isEmpty());
        assertThat(seen).containsExactly("orphan#2");
    }

    @Test
    void stoppingHandsUnfinishedTasksBackAtOnce() {
        tx.executeWithoutResult(s -> transport.enqueue(queue, List.of(bytes("slow"))));
        List<String> started = new CopyOnWriteArrayList<>();
        QueueConsumer slow = consume(handler(d -> {
            started.add(text(d));
            Thread.sleep(60_000);
        }), 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> !started.isEmpty());

        slow.stop(Duration.ofMillis(200));

        Integer visibleNow = jdbc.sql("SELECT count(*) FROM queue_tasks WHERE queue = :q AND visible_at <= now() AND leased_by IS NULL")
                .param("q", properties.name(queue)).query(Integer.class).single();
        assertThat(visibleNow).isEqualTo(1);
    }
}
