package io.pollster.ingest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import io.pollster.support.Api;
import io.pollster.support.IntegrationTest;
import io.pollster.system.PollsterProperties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@Import(IngestTest.SlowProcessing.class)
class IngestTest extends IntegrationTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** Messages whose value is "block" wait on this latch while being processed. */
    private static volatile CountDownLatch gate = new CountDownLatch(0);

    @DynamicPropertySource
    static void ingest(DynamicPropertyRegistry registry) {
        registry.add("pollster.ingest.idle-timeout", () -> "300ms");
        registry.add("pollster.ingest.linger", () -> "200ms");
        registry.add("pollster.ingest.processing-timeout", () -> "300ms");
        registry.add("pollster.ingest.max-attempts", () -> "2");
        registry.add("pollster.ingest.scale-up-backlog", () -> "5");
        registry.add("pollster.ingest.max-batch", () -> "2000");
        registry.add("pollster.ingest.max-request-size", () -> "256KB");
        registry.add("pollster.queue.poll-interval", () -> "20ms");
    }

    @TestConfiguration
    static class SlowProcessing {
        @Bean
        @Primary
        MessageProcessor slowForSomeValues() {
            return message -> {
                String value = JSON.readTree(message).path("value").asString("");
                if (value.equals("slow")) {
                    Thread.sleep(10_000);
                } else if (value.equals("block")) {
                    gate.await(30, TimeUnit.SECONDS);
                }
                return message;
            };
        }
    }

    @Autowired
    private JdbcClient jdbc;
    @Autowired
    private IngestPipeline pipeline;
    @Autowired
    private PollsterProperties pollster;

    private Api alice;

    @BeforeEach
    void user() {
        alice = api().as(createUser("alice"));
    }

    @AfterEach
    void openGate() {
        gate.countDown();
    }

    @Test
    void tenThousandMessagesAllReachFilesNamedAfterTheirWorkers() throws Exception {
        Set<String> sent = new HashSet<>();
        for (int request = 0; request < 100; request++) {
            List<String> batch = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                String value = "m-" + request + "-" + i;
                sent.add(value);
                batch.add("{\"timestamp\":\"2026-11-23T10:00:%02d.%03dZ\",\"value\":\"%s\",\"key\":\"k%d\"}".formatted(i % 60, request, value, i));
            }
            Api.Response answer = alice.post("/api/v1/messages", "[" + String.join(",", batch) + "]");
            assertThat(answer.status()).as(answer.toString()).isEqualTo(201);
            assertThat(answer.json().get("accepted").asInt()).isEqualTo(100);
        }

        await("every message in a file").atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> assertThat(sent).as("messages not in a file yet").isSubsetOf(values()));

        Set<String> workerIds = alice.get("/api/v1/workers").json().get("items").valueStream()
                .map(w -> w.get("id").asString()).collect(Collectors.toSet());
        try (Stream<Path> files = Files.walk(messages())) {
            List<Path> batches = files.filter(f -> f.toString().endsWith(".jsonl")).toList();
            assertThat(batches).allSatisfy(file -> {
                assertThat(file.getParent().getFileName().toString()).matches("shard-[0-3]");
                String name = file.getFileName().toString();
                assertThat(workerIds).contains(name.substring(0, name.lastIndexOf('-')));
                assertThat(Files.readAllLines(file)).hasSizeBetween(1, 5);
            });
        }
        JsonNode line = JSON.readTree(Files.readAllLines(anyFile()).getFirst());
        assertThat(line.get("userId").asString()).isEqualTo(alice.get("/api/v1/me").json().get("id").asString());
        assertThat(line.has("timestamp")).isTrue();
        long written = pipeline.pools().stream().flatMap(p -> p.workers().stream()).mapToLong(WorkerView::processed).sum();
        assertThat(written).isGreaterThanOrEqualTo(sent.size());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "missing timestamp | [{\"value\":\"x\"}]                                     | [0].timestamp",
            "null timestamp    | [{\"timestamp\":null}]                                  | [0].timestamp",
            "no offset         | [{\"timestamp\":\"2026-01-01T10:00:00\"}]                | [0].timestamp",
            "not a date        | [{\"timestamp\":\"yesterday\"}]                          | [0].timestamp",
            "number value      | [{\"timestamp\":\"2026-01-01T10:00:00Z\",\"value\":5}]   | [0].value",
            "object key        | [{\"timestamp\":\"2026-01-01T10:00:00Z\",\"key\":{}}]    | [0].key",
            "unknown field     | [{\"timestamp\":\"2026-01-01T10:00:00Z\",\"extra\":1}]   | [0].extra",
            "second entry bad  | [{\"timestamp\":\"2026-01-01T10:00:00Z\"},{\"timestamp\":1}] | [1].timestamp",
            "not an object     | [{\"timestamp\":\"2026-01-01T10:00:00Z\"},\"x\"]          | [1]",
            "not an array      | {\"timestamp\":\"2026-01-01T10:00:00Z\"}                 | $",
            "empty array       | []                                                       | $",
    })
    void aBadEntryRejectsTheWholeBatchByIndexAndEnqueuesNothing(String caseName, String body, String field) {
        Api.Response answer = alice.post("/api/v1/messages", body);

        assertThat(answer.status()).as(answer.toString()).isEqualTo(400);
        assertThat(answer.contentType()).startsWith("application/problem+json");
        assertThat(answer.json().get("errors").valueStream().map(e -> e.get("field").asString())).contains(field);
        assertThat(ingestQueued()).isZero();
    }

    @Test
    void everyBadEntryIsListedAtOnce() {
        Api.Response answer = alice.post("/api/v1/messages",
                "[{\"value\":\"a\"},{\"timestamp\":\"2026-01-01T10:00:00Z\"},{\"timestamp\":\"bad\"}]");

        assertThat(answer.json().get("errors").valueStream().map(e -> e.get("field").asString()))
                .containsExactly("[0].timestamp", "[2].timestamp");
    }

    @Test
    void tooManyMessagesOrBytesAre413AndMalformedJson400() {
        String one = "{\"timestamp\":\"2026-01-01T10:00:00Z\"}";
        String tooMany = "[" + IntStream.range(0, 2001).mapToObj(i -> one).collect(Collectors.joining(",")) + "]";
        String tooBig = "[{\"timestamp\":\"2026-01-01T10:00:00Z\",\"value\":\"" + "x".repeat(300 * 1024) + "\"}]";

        assertThat(alice.post("/api/v1/messages", tooMany).status()).isEqualTo(413);
        assertThat(alice.post("/api/v1/messages", tooBig).status()).isEqualTo(413);
        assertThat(alice.post("/api/v1/messages", "[{\"timestamp\":").status()).isEqualTo(400);
        assertThat(ingestQueued()).isZero();
    }

    @Test
    void onlyUsersWithJsonMayPost() {
        String body = "[{\"timestamp\":\"2026-01-01T10:00:00Z\"}]";
        assertThat(api().post("/api/v1/messages", body).status()).isEqualTo(401);
        assertThat(admin().post("/api/v1/messages", body).status()).isEqualTo(403);
        var text = alice.request("/api/v1/messages").header("Content-Type", "text/plain")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body));
        assertThat(alice.send(text).status()).isEqualTo(415);
    }

    @Test
    void aShardGrowsToFourWorkersUnderABacklogAndShrinksBackToThreeWhenIdle() {
        gate = new CountDownLatch(1);
        // one key: every message lands on the same shard
        String batch = IntStream.range(0, 40)
                .mapToObj(i -> "{\"timestamp\":\"2026-01-01T10:00:00Z\",\"key\":\"same\",\"value\":\"block\"}")
                .collect(Collectors.joining(",", "[", "]"));
        int shard = Shards.of("same", 4);
        ShardPool pool = pipeline.pools().get(shard);

        assertThat(alice.post("/api/v1/messages", batch).status()).isEqualTo(201);

        await("the shard to grow to its maximum").atMost(Duration.ofSeconds(10)).until(() -> pool.activeWorkers() == 4);
        gate.countDown();
        await("the shard to shrink back when idle").atMost(Duration.ofSeconds(20)).until(() -> pool.activeWorkers() == 3);
        List<JsonNode> shardWorkers = alice.get("/api/v1/workers").json().get("items").valueStream()
                .filter(w -> w.get("shard").asInt() == shard).toList();
        assertThat(shardWorkers.stream().filter(w -> w.get("retiredAt").isNull())).hasSize(3);
        assertThat(shardWorkers.stream().filter(w -> !w.get("retiredAt").isNull())).isNotEmpty();
        assertThat(pool.activeWorkers()).isLessThanOrEqualTo(4);
    }

    @Test
    void aMessageThatProcessesTooLongIsRetriedThenDeadLettered() {
        Api.Response answer = alice.post("/api/v1/messages", "[{\"timestamp\":\"2026-01-01T10:00:00Z\",\"value\":\"slow\"}]");
        assertThat(answer.status()).isEqualTo(201);
        String aliceId = alice.get("/api/v1/me").json().get("id").asString();

        await("the slow message to be dead-lettered").atMost(Duration.ofSeconds(20)).until(() ->
                jdbc.sql("SELECT count(*) FROM dead_letters WHERE type = 'message' AND owner_id = CAST(:o AS UUID)")
                        .param("o", aliceId).query(Integer.class).single() == 1);
        var letter = jdbc.sql("SELECT attempts, error FROM dead_letters WHERE type = 'message'")
                .query((rs, n) -> List.of(rs.getInt(1), rs.getString(2))).single();
        assertThat(letter.get(0)).isEqualTo(2);
        assertThat((String) letter.get(1)).contains("processing took longer than 300ms");
    }

    @Test
    void messageAndWorkerMetricsAreExported() {
        alice.post("/api/v1/messages", "[{\"timestamp\":\"2026-01-01T10:00:00Z\",\"value\":\"m\"}]");
        await().atMost(Duration.ofSeconds(10)).until(() -> api().get("/actuator/prometheus").body().contains("pollster_messages_total{"));
        assertThat(api().get("/actuator/prometheus").body()).contains("pollster_workers{shard=\"0\"}");
    }

    private Path messages() {
        return pollster.dataDir().resolve("messages");
    }

    private int ingestQueued() {
        return jdbc.sql("SELECT count(*) FROM queue_tasks WHERE queue LIKE '%ingest-%'").query(Integer.class).single();
    }

    private Set<String> values() throws IOException {
        Set<String> values = new HashSet<>();
        Path root = messages();
        if (!Files.exists(root)) {
            return values;
        }
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".jsonl")).toList()) {
                for (String line : Files.readAllLines(file)) {
                    values.add(JSON.readTree(line).path("value").asString(""));
                }
            }
        }
        return values;
    }

    private Path anyFile() throws IOException {
        try (Stream<Path> files = Files.walk(messages())) {
            return files.filter(f -> f.toString().endsWith(".jsonl")).findFirst().orElseThrow();
        }
    }
}
