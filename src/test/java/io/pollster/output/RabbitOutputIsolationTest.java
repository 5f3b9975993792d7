package io.pollster.output;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import io.pollster.support.Api;
import io.pollster.support.PipelineTest;
import io.pollster.support.StubUpstream.Answer;
import io.pollster.support.TestBroker;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.connection.ConnectionListener;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.MissingNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One user's RabbitMQ outputs cannot reach another user's consumers, declare exchanges of their
 * own, or publish into Pollster's own exchanges: attacked through the API and the stored job, with
 * real consumers on the broker.
 */
class RabbitOutputIsolationTest extends PipelineTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    /** Allowed by the operator, but declared (by someone else) as a direct exchange: Pollster's declare is refused. */
    private static final String DIRECT = "isolation.direct";

    @Autowired
    JdbcClient jdbc;

    @Autowired
    CachingConnectionFactory connections;

    @DynamicPropertySource
    static void outputs(DynamicPropertyRegistry registry) {
        registry.add("pollster.min-interval", () -> "100ms");
        registry.add("pollster.outputs.poll-interval", () -> "50ms");
        registry.add("pollster.outputs.rabbitmq.exchanges", () -> "isolation.shared, " + DIRECT);
    }

    @Test
    void anotherUsersExchangeOrOneOfPollstersOwnIsRefusedNamingWhatIsAllowed() {
        Api bob = api().as(createUser("bob"));
        for (String exchange : List.of("alice.events", "pollster.transport", "pollster.poll", "pollster.dead-letters",
                "pipeline-rabbit.pollster.dead-letters", "amq.topic", "")) {
            Api.Response refused = bob.post("/api/v1/jobs", """
                    {"url":"%s","interval":"1h","outputs":[{"type":"rabbitmq","exchange":"%s"}]}
                    """.formatted(upstream.url("/x"), exchange));
            assertThat(refused.status()).as(exchange).isEqualTo(400);
            assertThat(refused.body()).as(exchange).contains("\"outputs[0].exchange\"")
                    .contains("pollster.events, isolation.shared, " + DIRECT);
        }
        assertThat(bob.get("/api/v1/jobs").json().get("items")).isEmpty();
    }

    @Test
    void anAllowedExchangeIsAcceptedOnCreateAndAnotherRefusedOnUpdate() {
        Api bob = api().as(createUser("bob"));
        Api.Response created = bob.post("/api/v1/jobs", """
                {"url":"%s","interval":"1h","active":false,"outputs":[{"type":"rabbitmq","exchange":"isolation.shared"}]}
                """.formatted(upstream.url("/x")));
        assertThat(created.status()).as(created.body()).isEqualTo(201);

        Api.Response refused = bob.patch("/api/v1/jobs/" + created.json().get("id").asString(), """
                {"outputs":[{"type":"rabbitmq","exchange":"alice.events"}]}
                """);
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.body()).contains("\"outputs[0].exchange\"");
    }

    @Test
    void aRoutingKeyTooLongOnceFilledInIsRefused() {
        Api bob = api().as(createUser("bob"));
        String keys = "{jobId}".repeat(6); // 42 characters given, 216 once filled in
        for (String key : List.of(keys, "k".repeat(201))) {
            Api.Response refused = bob.post("/api/v1/jobs", """
                    {"url":"%s","interval":"1h","outputs":[{"type":"rabbitmq","routingKey":"%s"}]}
                    """.formatted(upstream.url("/x"), key));
            assertThat(refused.status()).as(key).isEqualTo(400);
            assertThat(refused.body()).as(key).contains("\"outputs[0].routingKey\"").contains("200");
        }
    }

    @Test
    void aUsersMessagesCarryTheirOwnIdEvenWhenTheirRoutingKeyNamesAnotherUser() throws Exception {
        Api alice = api().as(createUser("alice"));
        Api bob = api().as(createUser("bob"));
        String aliceId = alice.get("/api/v1/me").json().get("id").asString();
        String bobId = bob.get("/api/v1/me").json().get("id").asString();
        upstream.route("/alice", n -> Answer.json("{\"n\":" + Math.min(n, 1) + "}"));
        upstream.route("/bob", n -> Answer.json("{\"n\":" + Math.min(n, 1) + "}"));
        try (Connection connection = connection(); Channel channel = connection.createChannel()) {
            channel.exchangeDeclare("pollster.events", "topic", true);
            String alices = channel.queueDeclare().getQueue();
            String bobs = channel.queueDeclare().getQueue();
            channel.queueBind(alices, "pollster.events", aliceId + ".#");
            channel.queueBind(bobs, "pollster.events", bobId + ".#");

            String aliceJob = job(alice, """
                    {"url":"%s","interval":"100ms","outputs":[{"type":"rabbitmq"}]}
                    """.formatted(upstream.url("/alice")));
            String bobJob = job(bob, """
                    {"url":"%s","interval":"100ms","outputs":[{"type":"rabbitmq","routingKey":"%s.jobs.{jobId}"}]}
                    """.formatted(upstream.url("/bob"), aliceId));
            // a confirm comes once the broker has routed the message: after it, a queue holds it or never will
            await().atMost(WAIT).until(() -> delivered(bob, bobJob) >= 2 && delivered(alice, aliceJob) >= 2);

            List<GetResponse> toAlice = drain(channel, alices);
            assertThat(toAlice).isNotEmpty();
            assertThat(toAlice).allSatisfy(m -> assertThat(m.getEnvelope().getRoutingKey()).startsWith(aliceId + ".jobs."));
            assertThat(toAlice).extracting(m -> m.getEnvelope().getRoutingKey()).allMatch(k -> k.contains(aliceJob))
                    .noneMatch(k -> k.contains(bobJob));
            assertThat(drain(channel, bobs)).isNotEmpty().allSatisfy(m -> assertThat(m.getEnvelope().getRoutingKey())
                    .isEqualTo(bobId + "." + aliceId + ".jobs." + bobJob));
        }
    }

    @Test
    void aStoredJobWhoseExchangeIsNoLongerAllowedDeadLettersAtOnceAndNeverPublishes() throws Exception {
        Api bob = api().as(createUser("bob"));
        CountDownLatch rewritten = new CountDownLatch(1);
        upstream.route("/s", n -> {
            awaitQuietly(rewritten); // the first poll, and so its event, waits until the job's output has been rewritten
            return Answer.json("{\"n\":1}");
        });
        String exchange = "alice.private";
        try (Connection connection = connection(); Channel channel = connection.createChannel()) {
            channel.exchangeDeclare(exchange, "topic", true);
            String spy = channel.queueDeclare().getQueue();
            channel.queueBind(spy, exchange, "#");
            String id = job(bob, """
                    {"url":"%s","interval":"1h","outputs":[{"type":"rabbitmq"}]}
                    """.formatted(upstream.url("/s")));
            // as saved before the operator's list changed (or written around the API)
            int changed = jdbc.sql("""
                    UPDATE jobs SET spec = jsonb_set(spec, '{outputs,0,exchange}', to_jsonb(CAST(:exchange AS TEXT)))
                    WHERE id = CAST(:id AS UUID)
                    """).param("exchange", exchange).param("id", id).update();
            assertThat(changed).isEqualTo(1);
            rewritten.countDown();

            await().atMost(WAIT).until(() -> firstDelivery(bob, id).path("state").asString("").equals("failed"));
            JsonNode delivery = firstDelivery(bob, id);
            assertThat(delivery.get("attempts").asInt()).as("no retry").isEqualTo(1);
            assertThat(delivery.get("lastError").asString()).contains(exchange).contains("pollster.events");
            JsonNode letters = bob.get("/api/v1/dead-letters?type=delivery").json().get("items");
            assertThat(letters).hasSize(1);
            assertThat(channel.basicGet(spy, true)).as("nothing published").isNull();
        }
    }

    @Test
    void aDeclareTheBrokerRefusesClosesOnlyItsChannelAndOtherOutputsKeepPublishing() throws Exception {
        AtomicInteger closed = new AtomicInteger();
        ConnectionListener listener = new ConnectionListener() {
            @Override
            public void onCreate(org.springframework.amqp.rabbit.connection.Connection connection) {
            }

            @Override
            public void onClose(org.springframework.amqp.rabbit.connection.Connection connection) {
                closed.incrementAndGet();
            }

            @Override
            public void onShutDown(com.rabbitmq.client.ShutdownSignalException signal) {
                closed.incrementAndGet();
            }
        };
        connections.addConnectionListener(listener);
        Api bob = api().as(createUser("bob"));
        String bobId = bob.get("/api/v1/me").json().get("id").asString();
        upstream.route("/d", n -> Answer.json("{\"n\":" + n + "}"));
        try (Connection connection = connection(); Channel channel = connection.createChannel()) {
            channel.exchangeDeclare(DIRECT, "direct", true);
            channel.exchangeDeclare("pollster.events", "topic", true);
            String queue = channel.queueDeclare().getQueue();
            channel.queueBind(queue, "pollster.events", bobId + ".#");
            String refused = job(bob, """
                    {"url":"%s","interval":"100ms","outputs":[{"type":"rabbitmq","exchange":"%s"}]}
                    """.formatted(upstream.url("/d"), DIRECT));
            await().atMost(WAIT).until(() -> firstDelivery(bob, refused).path("lastError").asString("")
                    .contains("PRECONDITION_FAILED"));

            String fine = job(bob, """
                    {"url":"%s","interval":"100ms","outputs":[{"type":"rabbitmq"}]}
                    """.formatted(upstream.url("/d")));
            await().atMost(WAIT).until(() -> delivered(bob, fine) >= 2);
            assertThat(drain(channel, queue)).isNotEmpty();
            assertThat(closed).as("the shared connection was never closed").hasValue(0);
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String job(Api api, String json) {
        Api.Response created = api.post("/api/v1/jobs", json);
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return created.json().get("id").asString();
    }

    private static JsonNode firstDelivery(Api api, String id) {
        JsonNode items = api.get("/api/v1/jobs/" + id + "/events?limit=1").json().get("items");
        return items.isEmpty() ? MissingNode.getInstance() : items.get(0).get("deliveries").get(0);
    }

    private static long delivered(Api api, String id) {
        return api.get("/api/v1/jobs/" + id + "/events?limit=1000").json().get("items").valueStream()
                .filter(e -> e.get("deliveries").get(0).get("state").asString().equals("delivered")).count();
    }

    private static List<GetResponse> drain(Channel channel, String queue) throws Exception {
        List<GetResponse> got = new ArrayList<>();
        GetResponse message;
        while ((message = channel.basicGet(queue, true)) != null) {
            got.add(message);
        }
        return got;
    }

    private static Connection connection() throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        factory.setVirtualHost(TestBroker.get().vhost());
        return factory.newConnection("rabbit-output-isolation-test");
    }
}
