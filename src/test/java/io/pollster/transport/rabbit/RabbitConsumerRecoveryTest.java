package io.pollster.transport.rabbit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.pollster.support.IntegrationTest;
import io.pollster.support.TestBroker;
import io.pollster.transport.ConsumerSettings;
import io.pollster.transport.DeadLetterType;
import io.pollster.transport.QueueConsumer;
import io.pollster.transport.QueueProperties;
import io.pollster.transport.TaskHandler;
import io.pollster.transport.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A consumer outlives what the broker does to its channels: a channel closed by the broker (a
 * channel error, as {@code consumer_timeout} raises), a consumer cancelled by the broker (its queue
 * deleted), and a closed connection, which the client's automatic recovery handles alone.
 * The broker is driven with {@code rabbitmqctl}, on this run's own virtual host only.
 */
@TestPropertySource(properties = {"pollster.transport=rabbitmq", "pollster.queue.prefix=transport-test."}) // RabbitTransportTest's context
class RabbitConsumerRecoveryTest extends IntegrationTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Autowired
    private Transport transport;
    @Autowired
    private TransactionTemplate tx;
    @Autowired
    private JdbcClient jdbc;
    @Autowired
    private QueueProperties queues;
    @Autowired
    private RabbitTransportProperties rabbit;

    private final String queue = "recovery-" + UUID.randomUUID();
    private final List<QueueConsumer> consumers = new ArrayList<>();

    @AfterEach
    void stopConsumers() {
        consumers.forEach(c -> c.stop(Duration.ofSeconds(5)));
    }

    @Test
    void aChannelClosedByTheBrokerIsReplacedAndTheMessageInFlightIsHandledAgain() {
        CountDownLatch release = new CountDownLatch(1);
        Map<String, Integer> deliveries = new ConcurrentHashMap<>();
        List<String> handled = new CopyOnWriteArrayList<>();
        consume(d -> {
            if (deliveries.merge(text(d), 1, Integer::sum) == 1 && text(d).equals("in-flight")) {
                release.await(); // still running when its channel closes
            }
            handled.add(text(d));
        });
        enqueue("in-flight");
        await("the message in the handler").atMost(WAIT).until(() -> deliveries.containsKey("in-flight"));
        String closed = consumerChannel(name());

        closeChannelFromTheBroker(closed);

        await("a subscription on a fresh channel").atMost(WAIT)
                .until(() -> consumerChannels(name()).size() == 1 && !consumerChannels(name()).contains(closed));
        await("the message in flight delivered again and handled").atMost(WAIT).until(() -> handled.contains("in-flight"));
        release.countDown(); // the first handler returns now; its acknowledgement belongs to the closed channel
        await("the first handler done").atMost(WAIT).until(() -> handled.stream().filter("in-flight"::equals).count() == 2);

        enqueue("after");
        await("a later message handled").atMost(WAIT).until(() -> handled.contains("after"));
        await("nothing left on the queue, nothing unacknowledged").atMost(WAIT).until(() -> messages(name()) == 0);
        assertThat(deliveries).containsEntry("in-flight", 2).containsEntry("after", 1);
        assertThat(consumerChannels(name())).hasSize(1).doesNotContain(closed);
    }

    @Test
    void aDeadLetterChannelClosedByTheBrokerIsReplacedToo() throws Exception {
        consume(d -> { });
        await("the dead-letter queue consumed").atMost(WAIT).until(() -> consumerChannels(deadName()).size() == 1);
        String closed = consumerChannel(deadName());

        closeChannelFromTheBroker(closed);

        await("a subscription on a fresh channel").atMost(WAIT)
                .until(() -> consumerChannels(deadName()).size() == 1 && !consumerChannels(deadName()).contains(closed));
        try (Connection connection = rawConnection(); Channel channel = connection.createChannel()) {
            AMQP.BasicProperties future = new AMQP.BasicProperties.Builder()
                    .deliveryMode(2).messageId("from-the-future").headers(Map.of(WireFormat.SCHEMA, 99)).build();
            channel.basicPublish("", name(), future, "version-99".getBytes(StandardCharsets.UTF_8));
        }
        await("the rejected message recorded from the dead-letter queue").atMost(WAIT)
                .until(() -> jdbc.sql("SELECT count(*) FROM dead_letters WHERE queue = :queue")
                        .param("queue", name()).query(Integer.class).single() == 1);
        assertThat(consumerChannels(name())).hasSize(1);
    }

    @Test
    void aConsumerTheBrokerCancelsSubscribesAgainToTheQueueDeclaredAnew() throws Exception {
        List<String> handled = new CopyOnWriteArrayList<>();
        consume(d -> handled.add(text(d)));
        enqueue("before");
        await().atMost(WAIT).until(() -> handled.contains("before"));
        String cancelled = consumerChannel(name());

        try (Connection connection = rawConnection(); Channel channel = connection.createChannel()) {
            channel.queueDelete(name()); // the broker cancels every consumer of the queue
        }

        await("a subscription again").atMost(WAIT)
                .until(() -> consumerChannels(name()).size() == 1 && !consumerChannels(name()).contains(cancelled));
        enqueue("after");
        await("a message enqueued after the cancel handled").atMost(WAIT).until(() -> handled.contains("after"));
        assertThat(handled).containsExactly("before", "after");
        assertThat(consumerChannels(deadName())).hasSize(1);
    }

    @Test
    void aClosedConnectionIsRecoveredByTheClientAloneWithoutASecondSubscription() {
        List<String> handled = new CopyOnWriteArrayList<>();
        consume(d -> handled.add(text(d)));
        enqueue("before");
        await().atMost(WAIT).until(() -> handled.contains("before"));
        String closed = consumerConnection();
        String closedChannel = consumerChannel(name());

        rabbitmqctl("close_connection", closed, "closed by " + getClass().getSimpleName());

        await("the client reconnected and subscribed again").atMost(WAIT).until(() -> !closed.equals(consumerConnection())
                && !consumerChannels(name()).isEmpty() && !consumerChannels(name()).contains(closedChannel));
        enqueue("after");
        await("a message enqueued after the reconnection handled").atMost(WAIT).until(() -> handled.contains("after"));
        // a second subscriber would show up once the recovery interval has passed: one consumer each, for that long
        await("one consumer per queue, and no other turning up").atMost(WAIT)
                .during(rabbit.recoveryInterval().multipliedBy(3))
                .until(() -> consumerChannels(name()).size() == 1 && consumerChannels(deadName()).size() == 1);
        assertThat(handled).containsExactly("before", "after");
    }

    @Test
    void aConnectionRecoveryBringsBackNoConsumerOfAChannelTheBrokerClosed() {
        List<String> handled = new CopyOnWriteArrayList<>();
        consume(d -> handled.add(text(d)));
        await("the dead-letter queue consumed").atMost(WAIT).until(() -> consumerChannels(deadName()).size() == 1);
        String closed = consumerChannel(name());
        closeChannelFromTheBroker(closed);
        await("a subscription on a fresh channel").atMost(WAIT)
                .until(() -> consumerChannels(name()).size() == 1 && !consumerChannels(name()).contains(closed));
        String connection = consumerConnection();

        rabbitmqctl("close_connection", connection, "closed by " + getClass().getSimpleName());

        await("the client reconnected").atMost(WAIT).until(() -> !connection.equals(consumerConnection())
                && !consumerChannels(name()).isEmpty() && !consumerChannels(deadName()).isEmpty());
        // the client keeps the consumer of a channel the broker closed unless told, and would subscribe it again
        await("one consumer per queue, and no other turning up").atMost(WAIT)
                .during(rabbit.recoveryInterval().multipliedBy(3))
                .until(() -> consumerChannels(name()).size() == 1 && consumerChannels(deadName()).size() == 1);
        enqueue("after");
        await("a message enqueued after the reconnection handled").atMost(WAIT).until(() -> handled.contains("after"));
        assertThat(handled).containsExactly("after");
    }

    private void consume(Handling handling) {
        consumers.add(transport.consume(queue, new TaskHandler() {
            @Override
            public Result handle(Delivery delivery) throws Exception {
                handling.handle(delivery);
                return DONE;
            }

            @Override
            public DeadLetterInfo abandon(byte[] payload, String error) {
                return new DeadLetterInfo(DeadLetterType.POLL, null, null);
            }
        }, new ConsumerSettings(4, 5, Duration.ofSeconds(30), Duration.ofMillis(50))));
    }

    private interface Handling {
        void handle(TaskHandler.Delivery delivery) throws Exception;
    }

    private void enqueue(String text) {
        tx.executeWithoutResult(s -> transport.enqueue(queue, List.of(text.getBytes(StandardCharsets.UTF_8))));
    }

    private static String text(TaskHandler.Delivery delivery) {
        return new String(delivery.payload(), StandardCharsets.UTF_8);
    }

    private String name() {
        return queues.name(queue);
    }

    private String deadName() {
        return RabbitTopology.deadQueue(name());
    }

    /**
     * Makes the broker close one channel with a channel error (406 PRECONDITION_FAILED), the way it
     * does for a delivery held past {@code consumer_timeout}: the channel process is handed an
     * acknowledgement of a delivery tag it never issued. The connection and every other channel stay up.
     */
    private static void closeChannelFromTheBroker(String channelPid) {
        rabbitmqctl("eval", "rabbit_channel:do(rabbit_misc:string_to_pid(\"" + channelPid + "\"), {'basic.ack', 999999999, false}).");
    }

    private static String consumerChannel(String queueName) {
        List<String> channels = consumerChannels(queueName);
        assertThat(channels).as("consumers of %s", queueName).hasSize(1);
        return channels.getFirst();
    }

    /** The channel process of every consumer of the queue, as the broker sees them. */
    private static List<String> consumerChannels(String queueName) {
        return rows("list_consumers", "queue_name", "channel_pid").stream()
                .filter(row -> row[0].equals(queueName))
                .map(row -> row[1])
                .toList();
    }

    /** The connection process of the consumers' shared connection (named by ConsumerConnection). */
    private static String consumerConnection() {
        return rows("list_connections", "pid", "client_properties").stream()
                .filter(row -> row[1].contains("{\"connection_name\",\"pollster-consumers\"}"))
                .map(row -> row[0])
                .findFirst().orElse("");
    }

    /** Ready and unacknowledged messages on the queue. */
    private static long messages(String queueName) {
        return rows("list_queues", "name", "messages").stream()
                .filter(row -> row[0].equals(queueName))
                .mapToLong(row -> Long.parseLong(row[1]))
                .findFirst().orElse(-1);
    }

    private static List<String[]> rows(String command, String... columns) {
        List<String> args = new ArrayList<>(List.of(command, "-p", TestBroker.get().vhost(), "--quiet", "--no-table-headers"));
        args.addAll(Arrays.asList(columns));
        return rabbitmqctl(args.toArray(String[]::new)).lines()
                .filter(line -> !line.isBlank())
                .map(line -> line.split("\t"))
                .toList();
    }

    private static String rabbitmqctl(String... args) {
        List<String> command = new ArrayList<>(List.of("rabbitmqctl"));
        command.addAll(Arrays.asList(args));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("'" + String.join(" ", command) + "' failed: " + output.strip());
            }
            return output;
        } catch (IOException e) {
            throw new IllegalStateException("Tests need rabbitmqctl on the PATH: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Connection rawConnection() throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        factory.setVirtualHost(TestBroker.get().vhost());
        return factory.newConnection("rabbit-consumer-recovery-test");
    }
}
