package io.pollster.output;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import io.pollster.proto.v1.Event;
import io.pollster.support.Api;
import io.pollster.support.PipelineTest;
import io.pollster.support.StubUpstream.Answer;
import io.pollster.support.TestBroker;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * RabbitMQ outputs: a real consumer reads the events, as JSON and as protobuf, under the owner's
 * routing keys; a broker restart loses none.
 */
class RabbitOutputTest extends PipelineTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @DynamicPropertySource
    static void outputs(DynamicPropertyRegistry registry) {
        registry.add("pollster.min-interval", () -> "100ms");
        registry.add("pollster.outputs.poll-interval", () -> "50ms");
    }

    @Test
    void aConsumerReadsEventsAsJsonAndAsProtobufRoutedByJob() throws Exception {
        Api alice = api().as(createUser("alice"));
        String owner = alice.get("/api/v1/me").json().get("id").asString();
        String exchange = "pollster.events";
        upstream.route("/a", n -> Answer.json("{\"n\":" + Math.min(n, 1) + "}"));
        try (Connection connection = connection(); Channel channel = connection.createChannel()) {
            channel.exchangeDeclare(exchange, "topic", true);
            String jsonQueue = channel.queueDeclare().getQueue();
            String protoQueue = channel.queueDeclare().getQueue();
            channel.queueBind(jsonQueue, exchange, owner + ".json.#");
            channel.queueBind(protoQueue, exchange, owner + ".proto.#");
            String id = job(alice, """
                    {"url":"%s","interval":"100ms","outputs":[
                      {"type":"rabbitmq","exchange":"%s","routingKey":"json.{jobId}.{type}"},
                      {"type":"rabbitmq","exchange":"%s","routingKey":"proto.{jobId}","format":"protobuf"}]}
                    """.formatted(upstream.url("/a"), exchange, exchange));

            List<GetResponse> json = take(channel, jsonQueue, 2);
            List<GetResponse> proto = take(channel, protoQueue, 2);

            JsonNode first = JSON.readTree(new String(json.get(0).getBody(), StandardCharsets.UTF_8));
            assertThat(first.get("type").asString()).isEqualTo("version.created");
            assertThat(first.get("jobId").asString()).isEqualTo(id);
            assertThat(json.get(0).getEnvelope().getRoutingKey()).isEqualTo(owner + ".json." + id + ".version.created");
            assertThat(json.get(0).getProps().getMessageId()).isEqualTo(first.get("id").asString());
            assertThat(json.get(0).getProps().getDeliveryMode()).isEqualTo(2);
            assertThat(json.get(0).getProps().getContentType()).isEqualTo("application/json");

            Event event = Event.parseFrom(proto.get(1).getBody());
            JsonNode second = JSON.readTree(new String(json.get(1).getBody(), StandardCharsets.UTF_8));
            assertThat(event.getId()).isEqualTo(second.get("id").asString());
            assertThat(event.getJobId()).isEqualTo(id);
            assertThat(JSON.readTree(event.getDataJson()).get("patch").toString()).contains("/n");
            assertThat(proto.get(1).getProps().getContentType()).isEqualTo("application/x-protobuf");
        }
    }

    @Test
    void aBrokerRestartMidStreamLosesNothing() throws Exception {
        Api bob = api().as(createUser("bob"));
        String owner = bob.get("/api/v1/me").json().get("id").asString();
        String queue = "test.restart.queue." + UUID.randomUUID();
        upstream.route("/b", n -> Answer.json("{\"n\":" + n + "}"));
        try (Connection connection = connection(); Channel channel = connection.createChannel()) {
            channel.exchangeDeclare("pollster.events", "topic", true);
            channel.queueDeclare(queue, true, false, false, null);
            channel.queueBind(queue, "pollster.events", owner + ".#");
        }
        String id = job(bob, """
                {"url":"%s","interval":"100ms","outputs":[{"type":"rabbitmq"}]}
                """.formatted(upstream.url("/b")));
        await("a few events published").atMost(WAIT).until(() -> delivered(bob, id) >= 3);

        TestBroker.stopBroker();
        try {
            Thread.sleep(2_000); // events keep coming while the broker is away
        } finally {
            TestBroker.startBroker();
        }
        await("more events after the restart").atMost(WAIT).until(() -> delivered(bob, id) >= 10);
        bob.post("/api/v1/jobs/" + id + "/stop");
        await("every event published").atMost(WAIT).until(() -> eventStates(bob, id).stream().allMatch("delivered"::equals));

        List<String> events = bob.get("/api/v1/jobs/" + id + "/events?limit=1000").json().get("items").valueStream()
                .map(e -> e.get("id").asString()).toList();
        try (Connection connection = connection(); Channel channel = connection.createChannel()) {
            List<String> received = new ArrayList<>();
            GetResponse message;
            while ((message = channel.basicGet(queue, true)) != null) {
                received.add(message.getProps().getMessageId());
            }
            assertThat(received.stream().distinct().toList()).as("every event, first arrivals in order").isEqualTo(events);
            channel.queueDelete(queue);
        }
    }

    private static String job(Api api, String json) {
        Api.Response created = api.post("/api/v1/jobs", json);
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return created.json().get("id").asString();
    }

    private static long delivered(Api api, String id) {
        return eventStates(api, id).stream().filter("delivered"::equals).count();
    }

    private static List<String> eventStates(Api api, String id) {
        return api.get("/api/v1/jobs/" + id + "/events?limit=1000").json().get("items").valueStream()
                .map(e -> e.get("deliveries").get(0).get("state").asString()).toList();
    }

    private static List<GetResponse> take(Channel channel, String queue, int count) {
        List<GetResponse> got = new ArrayList<>();
        await().atMost(WAIT).until(() -> {
            GetResponse message = channel.basicGet(queue, true);
            if (message != null) {
                got.add(message);
            }
            return got.size() >= count;
        });
        return got;
    }

    private static Connection connection() throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        factory.setVirtualHost(TestBroker.get().vhost());
        return factory.newConnection("rabbit-output-test");
    }
}
