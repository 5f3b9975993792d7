package io.pollster.transport.rabbit;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import io.pollster.support.TestBroker;
import io.pollster.transport.QueueProperties;
import io.pollster.transport.QueueStats;
import io.pollster.transport.Transport;
import io.pollster.transport.TransportContractTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@TestPropertySource(properties = {"pollster.transport=rabbitmq", "pollster.queue.prefix=transport-test."})
class RabbitTransportTest extends TransportContractTest {

    @Autowired
    private Transport transport;
    @Autowired
    private JdbcClient jdbc;
    @Autowired
    private QueueProperties properties;
    @Autowired
    private RabbitTransportProperties rabbit;

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
    void aMessageOfAnUnknownSchemaVersionIsDeadLetteredWithTheReasonAndNeverHandled() throws Exception {
        List<String> handled = new CopyOnWriteArrayList<>();
        consume(handler(d -> handled.add(text(d))), 1);
        awaitDeclared();

        try (Connection connection = rawConnection(); Channel channel = connection.createChannel()) {
            AMQP.BasicProperties future = new AMQP.BasicProperties.Builder()
                    .deliveryMode(2).messageId("from-the-future").headers(Map.of(WireFormat.SCHEMA, 99)).build();
            channel.basicPublish("", properties.name(queue), future, bytes("version-99"));
        }

        await("the message to become a dead letter").atMost(WAIT).until(() -> deadLetteredPayloads().contains("version-99"));
        assertThat(error("version-99")).contains("unknown message schema version 99");
        assertThat(handled).isEmpty();
    }

    @Test
    void aMessageWhoseConsumersKeepDyingIsDeadLetteredByTheBrokerAfterTheDeliveryLimit() throws Exception {
        tx.executeWithoutResult(s -> transport.enqueue(queue, List.of(bytes("kills-its-consumers"))));
        try (Connection connection = rawConnection()) {
            await("the outbox to publish the message").atMost(WAIT).until(() -> ready(connection) == 1);
            int deliveries = 0;
            // each round takes the message and dies holding it, as a consumer process killed mid-task would
            while (deliveries <= rabbit.deliveryLimit() + 1) {
                Channel channel = connection.createChannel();
                GetResponse taken = channel.basicGet(properties.name(queue), false);
                channel.close();
                if (taken == null) {
                    break;
                }
                deliveries++;
            }
            assertThat(deliveries).isEqualTo(rabbit.deliveryLimit() + 1);
        }

        consume(handler(d -> { }), 1);

        await("the dead-letter queue to be recorded").atMost(WAIT).until(() -> deadLetteredPayloads().contains("kills-its-consumers"));
        assertThat(error("kills-its-consumers")).contains("x-delivery-limit");
    }

    @Test
    void afterABrokerRestartConsumingResumesAndWhatWasCommittedMeanwhileIsDelivered() {
        List<String> seen = new CopyOnWriteArrayList<>();
        consume(handler(d -> seen.add(text(d))), 4);
        tx.executeWithoutResult(s -> transport.enqueue(queue, List.of(bytes("before"))));
        await().atMost(WAIT).until(() -> seen.contains("before"));

        TestBroker.stopBroker();
        try {
            tx.executeWithoutResult(s -> transport.enqueue(queue, List.of(bytes("while-down"))));
        } finally {
            TestBroker.startBroker();
        }
        tx.executeWithoutResult(s -> transport.enqueue(queue, List.of(bytes("after"))));

        await("both tasks after the restart").atMost(Duration.ofSeconds(60)).until(() -> seen.containsAll(List.of("while-down", "after")));
        assertThat(seen).containsExactlyInAnyOrder("before", "while-down", "after");
    }

    @Test
    void statsShowTheOutboxAndTheDepthOfEveryQueueOnTheBroker() {
        tx.executeWithoutResult(s -> transport.enqueue(queue, List.of(bytes("1"), bytes("2"), bytes("3"))));

        await("the three tasks on the broker").atMost(WAIT).until(() -> depth(properties.name(queue)) == 3);
        assertThat(transport.stats()).anySatisfy(q -> assertThat(q.name()).isEqualTo("outbox"));
        assertThat(transport.stats()).filteredOn(q -> q.name().equals(properties.name(queue)))
                .singleElement().satisfies(q -> assertThat(q.oldest()).isNull()); // no consumer has taken one yet
    }

    @Test
    void theClusterViewShowsTheBrokerQueuesAndHowLongTheirOldestMessageHasWaitedAtMost() {
        List<String> seen = new CopyOnWriteArrayList<>();
        var consumer = consume(handler(d -> seen.add(text(d))), 1);
        tx.executeWithoutResult(s -> transport.enqueue(queue, List.of(bytes("taken"))));
        await().atMost(WAIT).until(() -> seen.contains("taken"));
        consumer.stop(Duration.ofSeconds(5)); // records how far it got

        tx.executeWithoutResult(s -> transport.enqueue(queue, List.of(bytes("waiting-1"), bytes("waiting-2"))));

        await("two messages waiting on the broker").atMost(WAIT).until(() -> depth(properties.name(queue)) == 2);
        var view = admin().get("/api/v1/cluster").json().get("queues").valueStream()
                .filter(q -> q.get("name").asString().equals(properties.name(queue))).findFirst().orElseThrow();
        assertThat(view.get("depth").asLong()).isEqualTo(2);
        assertThat(view.get("oldestAgeMs").asLong()).isGreaterThanOrEqualTo(0);
        assertThat(admin().get("/api/v1/cluster").json().get("queues").valueStream().map(q -> q.get("name").asString()))
                .contains("outbox");
    }

    private long depth(String name) {
        return transport.stats().stream().filter(q -> q.name().equals(name)).mapToLong(QueueStats::depth).findFirst().orElse(-1);
    }

    private String error(String payload) {
        return jdbc.sql("SELECT error FROM dead_letters WHERE queue = :queue AND payload = :payload")
                .param("queue", properties.name(queue)).param("payload", bytes(payload))
                .query(String.class).single();
    }

    private void awaitDeclared() {
        await("the queue to be declared").atMost(WAIT).until(() -> jdbc.sql("SELECT count(*) FROM transport_queues WHERE name = :n")
                .param("n", properties.name(queue)).query(Integer.class).single() == 1);
    }

    private int ready(Connection connection) throws Exception {
        try (Channel channel = connection.createChannel()) {
            return channel.queueDeclarePassive(properties.name(queue)).getMessageCount();
        } catch (java.io.IOException notYetDeclared) {
            return -1;
        }
    }

    private static Connection rawConnection() throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        factory.setVirtualHost(TestBroker.get().vhost());
        return factory.newConnection("rabbit-transport-test");
    }
}
