package io.pollster.transport.rabbit;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import io.pollster.schedule.PollTask;
import io.pollster.support.TestBroker;
import io.pollster.support.TestRabbitNode;
import io.pollster.transport.QueueStats;
import io.pollster.transport.Transport;
import io.pollster.transport.TransportContractTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The transport contract on RabbitMQ, on a broker of the run's own: one of its tests restarts it. */
@TestPropertySource(properties = {"pollster.transport=rabbitmq", "pollster.queue.prefix=transport-test."})
class RabbitTransportTest extends TransportContractTest {

    @DynamicPropertySource
    static void ownBroker(DynamicPropertyRegistry registry) {
        registry.add("spring.rabbitmq.port", () -> TestRabbitNode.forRestarts().port());
    }

    @Autowired
    private Transport transport;
    @Autowired
    private RabbitTransportProperties rabbit;

    @Override
    protected Transport transport() {
        return transport;
    }

    /** A consumer that takes the message and loses its connection without acknowledging it. */
    @Override
    protected void takeOneTaskAndDie() {
        try (Connection connection = rawConnection()) {
            // a channel per look: asking for a queue not declared yet closes the channel
            await("the message taken from the broker").atMost(WAIT).ignoreExceptions().until(() -> {
                Channel channel = connection.createChannel();
                if (channel.basicGet(queues.name(queue), false) != null) {
                    return true; // held, unacknowledged, until the connection goes
                }
                channel.close();
                return false;
            });
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aMessageOfAnUnknownSchemaVersionIsDeadLetteredWithTheReasonAndNeverHandled() throws Exception {
        List<String> handled = new CopyOnWriteArrayList<>();
        consume(handler(d -> handled.add(text(d))), 1);
        awaitDeclared();

        try (Connection connection = rawConnection(); Channel channel = connection.createChannel()) {
            AMQP.BasicProperties future = new AMQP.BasicProperties.Builder()
                    .deliveryMode(2).messageId("from-the-future").headers(Map.of(WireFormat.SCHEMA, 99)).build();
            channel.basicPublish("", queues.name(queue), future, bytes("version-99"));
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
                GetResponse taken = channel.basicGet(queues.name(queue), false);
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

        TestRabbitNode.forRestarts().stopApp();
        try {
            tx.executeWithoutResult(s -> transport.enqueue(queue, List.of(bytes("while-down"))));
        } finally {
            TestRabbitNode.forRestarts().startApp();
        }
        tx.executeWithoutResult(s -> transport.enqueue(queue, List.of(bytes("after"))));

        await("both tasks after the restart").atMost(Duration.ofSeconds(60)).until(() -> seen.containsAll(List.of("while-down", "after")));
        assertThat(seen).containsExactlyInAnyOrder("before", "while-down", "after");
    }

    @Test
    void statsShowTheOutboxAndNoAgeForAQueueNoConsumerHasTakenFromYet() {
        tx.executeWithoutResult(s -> transport.enqueue(queue, List.of(bytes("1"), bytes("2"), bytes("3"))));

        await("the three tasks on the broker").atMost(WAIT).until(() -> depth(queues.name(queue)) == 3);
        assertThat(transport.stats()).anySatisfy(q -> assertThat(q.name()).isEqualTo("outbox"));
        assertThat(transport.stats()).filteredOn(q -> q.name().equals(queues.name(queue)))
                .singleElement().satisfies(q -> assertThat(q.oldest()).isNull()); // the broker cannot tell
    }

    @Test
    void theClusterViewShowsTheBrokerQueuesAndHowLongTheirOldestMessageHasWaitedAtMost() {
        List<String> seen = new CopyOnWriteArrayList<>();
        var consumer = consume(handler(d -> seen.add(text(d))), 1);
        Instant beforeTaken = Instant.now().truncatedTo(ChronoUnit.MILLIS); // the broker's timestamps have milliseconds
        tx.executeWithoutResult(s -> transport.enqueue(queue, List.of(bytes("taken"))));
        Instant taken = Instant.now();
        await().atMost(WAIT).until(() -> seen.contains("taken"));
        consumer.stop(Duration.ofSeconds(5)); // records how far it got

        tx.executeWithoutResult(s -> transport.enqueue(queue, List.of(bytes("waiting-1"), bytes("waiting-2"))));

        await("two messages waiting on the broker").atMost(WAIT).until(() -> depth(queues.name(queue)) == 2);
        Instant asked = Instant.now();
        JsonNode cluster = admin().get("/api/v1/cluster").json();
        Instant answered = Instant.now();
        JsonNode view = cluster.get("queues").valueStream()
                .filter(q -> q.get("name").asString().equals(queues.name(queue))).findFirst().orElseThrow();
        assertThat(view.get("depth").asLong()).isEqualTo(2);
        // the age of the newest message a consumer took ("taken"): everything waiting came after it
        assertThat(view.has("oldestAgeMs") && view.get("oldestAgeMs").isNumber()).as("oldestAgeMs is a number: " + view).isTrue();
        assertThat(view.get("oldestAgeMs").asLong())
                .isBetween(Duration.between(taken, asked).toMillis(), Duration.between(beforeTaken, answered).toMillis());
        assertThat(cluster.get("queues").valueStream().map(q -> q.get("name").asString())).contains("outbox");
    }

    @Test
    void aDeadLetterShowsInTheApiAndItsReplayIsPublishedAgain() {
        AtomicBoolean failing = new AtomicBoolean(true);
        List<String> succeeded = new CopyOnWriteArrayList<>();
        consume(handler(d -> {
            if (failing.get()) {
                throw new IllegalStateException("upstream down");
            }
            succeeded.add(PollTask.decode(d.payload()).jobId().toString());
        }), 1, 2);
        UUID job = UUID.randomUUID();
        tx.executeWithoutResult(s -> transport.enqueue(queue, List.of(PollTask.fire(job, null, true, null).encode())));

        await("the dead letter in the API").atMost(WAIT).until(() -> letterOf(job).isPresent());
        JsonNode letter = letterOf(job).orElseThrow();
        assertThat(letter.get("error").asString()).contains("upstream down");
        assertThat(letter.get("attempts").asInt()).isEqualTo(2);

        failing.set(false);
        assertThat(admin().post("/api/v1/dead-letters/" + letter.get("id").asString() + "/replay").status()).isEqualTo(202);

        await("the replayed task handled").atMost(WAIT).until(() -> succeeded.contains(job.toString()));
        assertThat(deadLetteredPayloads()).isEmpty();
    }

    private Optional<JsonNode> letterOf(UUID job) {
        return admin().get("/api/v1/dead-letters?type=poll").json().get("items").valueStream()
                .filter(d -> d.get("payload").get("jobId").asString().equals(job.toString())).findFirst();
    }

    private long depth(String name) {
        return transport.stats().stream().filter(q -> q.name().equals(name)).mapToLong(QueueStats::depth).findFirst().orElse(-1);
    }

    private String error(String payload) {
        return jdbc.sql("SELECT error FROM dead_letters WHERE queue = :queue AND payload = :payload")
                .param("queue", queues.name(queue)).param("payload", bytes(payload))
                .query(String.class).single();
    }

    private void awaitDeclared() {
        await("the queue to be declared").atMost(WAIT).until(() -> jdbc.sql("SELECT count(*) FROM transport_queues WHERE name = :n")
                .param("n", queues.name(queue)).query(Integer.class).single() == 1);
    }

    private int ready(Connection connection) throws Exception {
        try (Channel channel = connection.createChannel()) {
            return channel.queueDeclarePassive(queues.name(queue)).getMessageCount();
        } catch (java.io.IOException notYetDeclared) {
            return -1;
        }
    }

    private static Connection rawConnection() throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        factory.setPort(TestRabbitNode.forRestarts().port());
        factory.setVirtualHost(TestBroker.get().vhost());
        return factory.newConnection("rabbit-transport-test");
    }
}
