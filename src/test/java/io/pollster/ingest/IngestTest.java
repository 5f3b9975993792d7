package io.pollster.ingest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import io.pollster.support.Api;
import io.pollster.support.IntegrationTest;
import io.pollster.support.MessageFiles;
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
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Push ingest end to end on the PostgreSQL transport; {@code RabbitIngestTest} runs it all again on RabbitMQ. */
@Import(IngestTest.SlowProcessing.class)
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class IngestTest extends IntegrationTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** How often a "slow" message was taken for processing, by its key. */
    private static final java.util.Map<String, java.util.concurrent.atomic.AtomicInteger> SLOW_RUNS =
            new java.util.concurrent.ConcurrentHashMap<>();
    /** Messages whose value is "block" wait on this latch while being processed. */
    private static volatile CountDownLatch gate = new CountDownLatch(0);

    @DynamicPropertySource
    static void ingest(DynamicPropertyRegistry registry) {
        registry.add("pollster.ingest.enabled", () -> "true");
        registry.add("pollster.ingest.idle-timeout", () -> "300ms");
        registry.add("pollster.ingest.linger", () -> "200ms");
        registry.add("pollster.ingest.processing-timeout", () -> "300ms");
        registry.add("pollster.ingest.max-attempts", () -> "2");
        registry.add("pollster.ingest.scale-up-backlog", () -> "5");
        registry.add("pollster.ingest.max-batch", () -> "2000");
        registry.add("pollster.ingest.max-request-size", () -> "256KB");
        registry.add("pollster.queue.poll-interval", () -> "20ms");
        registry.add("pollster.ingest.retired-kept", () -> "2");
        registry.add("pollster.ingest.stats-interval", () -> "300ms");
    }

    @TestConfiguration
    static class SlowProcessing {
        @Bean
        @Primary
        MessageProcessor slowForSomeValues() {
            return message -> {
                JsonNode line = JSON.readTree(message);
                String value = line.path("value").asString("");
                if (value.equals("slow")) {
                    SLOW_RUNS.computeIfAbsent(line.path("key").asString(""), k -> new java.util.concurrent.atomic.AtomicInteger())
                            .incrementAndGet();
                    Thread.sleep(10_000);
                } else if (value.equals("block")) {
                    gate.await(30, TimeUnit.SECONDS);
                } else if (value.equals("overflow")) {
                    throw new StackOverflowError("a message that overflowed the stack");
                } else if (value.equals("interrupt")) {
                    Thread.currentThread().interrupt(); // a processor that leaves its thread interrupted
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
        String run = UUID.randomUUID().toString().substring(0, 8); // the data directory outlives this test class
        for (int request = 0; request < 100; request++) {
            List<String> batch = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                String value = run + "-m-" + request + "-" + i;
                sent.add(value);
                batch.add("{\"timestamp\":\"2026-11-23T10:00:%02d.%03dZ\",\"value\":\"%s\",\"key\":\"k%d\"}".formatted(i % 60, request, value, i));
            }
            Api.Response answer = alice.post("/api/v1/messages", "[" + String.join(",", batch) + "]");
            assertThat(answer.status()).as(answer.toString()).isEqualTo(201);
            assertThat(answer.json().get("accepted").asInt()).isEqualTo(100);
            assertThat(answer.header("Content-Type")).startsWith("application/json");
            assertThat(answer.header("Location")).isEqualTo("/api/v1/messages");
        }

        await("every message in a file").atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> assertThat(sent).as("messages not in a file yet").isSubsetOf(values()));

        Set<String> workerIds = alice.get("/api/v1/workers").json().get("items").valueStream()
                .map(w -> w.get("id").asString()).collect(Collectors.toSet());
        // the data directory is shared with the other test classes: look at this test's files
        List<Path> batches = MessageFiles.under(messages()).stream()
                .filter(f -> linesOf(f).stream().anyMatch(line -> sent.contains(JSON.readTree(line).path("value").asString(""))))
                .toList();
        assertThat(batches).isNotEmpty().allSatisfy(file -> {
            assertThat(file.getParent().getFileName().toString()).matches("shard-[0-3]");
            String name = file.getFileName().toString();
            assertThat(workerIds).contains(name.substring(0, name.lastIndexOf('-')));
            assertThat(Files.readAllLines(file)).hasSizeBetween(1, 5);
        });
        JsonNode line = linesOf(batches.getFirst()).stream().map(JSON::readTree)
                .filter(l -> sent.contains(l.path("value").asString(""))).findFirst().orElseThrow();
        assertThat(line.get("userId").asString()).isEqualTo(alice.get("/api/v1/me").json().get("id").asString());
        assertThat(line.has("timestamp")).isTrue();
        // retired workers beyond retired-kept are no longer in memory: their counts come from the registry
        await("every worker's count shared").atMost(Duration.ofSeconds(10)).until(() -> alice.get("/api/v1/workers").json()
                .get("items").valueStream().mapToLong(w -> w.get("processed").asLong()).sum() >= sent.size());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "missing timestamp | [{\"value\":\"x\"}]                                     | [0].timestamp",
            "null timestamp    | [{\"timestamp\":null}]                                  | [0].timestamp",
            "no offset         | [{\"timestamp\":\"2026-01-01T10:00:00\"}]                | [0].timestamp",
            "no seconds        | [{\"timestamp\":\"2026-01-01T10:00Z\"}]                  | [0].timestamp",
            "not a date        | [{\"timestamp\":\"yesterday\"}]                          | [0].timestamp",
            "number value      | [{\"timestamp\":\"2026-01-01T10:00:00Z\",\"value\":5}]   | [0].value",
            "object key        | [{\"timestamp\":\"2026-01-01T10:00:00Z\",\"key\":{}}]    | [0].key",
            "unknown field     | [{\"timestamp\":\"2026-01-01T10:00:00Z\",\"extra\":1}]   | [0].extra",
            "second entry bad  | [{\"timestamp\":\"2026-01-01T10:00:00Z\"},{\"timestamp\":1}] | [1].timestamp",
            "not an object     | [{\"timestamp\":\"2026-01-01T10:00:00Z\"},\"x\"]          | [1]",
            "not an array      | {\"timestamp\":\"2026-01-01T10:00:00Z\"}                 | $",
            "empty array       | []                                                       | $",
    })
    void aBadEntryRejectsTheWholeBatchByIndexAndEnqueuesNothing(String caseName, String body, String field) throws Exception {
        Instant before = Instant.now();
        Api.Response answer = alice.post("/api/v1/messages", body);

        assertThat(answer.status()).as(answer.toString()).isEqualTo(400);
        assertThat(answer.contentType()).startsWith("application/problem+json");
        assertThat(answer.json().get("errors").valueStream().map(e -> e.get("field").asString())).contains(field);
        assertNothingAcceptedSince(before);
    }

    @Test
    void everyBadEntryIsListedAtOnce() {
        Api.Response answer = alice.post("/api/v1/messages",
                "[{\"value\":\"a\"},{\"timestamp\":\"2026-01-01T10:00:00Z\"},{\"timestamp\":\"bad\"}]");

        assertThat(answer.json().get("errors").valueStream().map(e -> e.get("field").asString()))
                .containsExactly("[0].timestamp", "[2].timestamp");
    }

    @Test
    void tooManyMessagesOrBytesAre413AndMalformedJson400() throws Exception {
        String one = "{\"timestamp\":\"2026-01-01T10:00:00Z\"}";
        String tooMany = "[" + IntStream.range(0, 2001).mapToObj(i -> one).collect(Collectors.joining(",")) + "]";
        String tooBig = "[{\"timestamp\":\"2026-01-01T10:00:00Z\",\"value\":\"" + "x".repeat(300 * 1024) + "\"}]";

        Instant before = Instant.now();
        assertThat(alice.post("/api/v1/messages", tooMany).status()).isEqualTo(413);
        assertThat(alice.post("/api/v1/messages", tooBig).status()).isEqualTo(413);
        assertThat(alice.post("/api/v1/messages", "[{\"timestamp\":").status()).isEqualTo(400);
        assertNothingAcceptedSince(before);
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
    void retiredWorkersAreKeptInMemoryOnlyUpToABoundAndRecordedOnce() {
        String key = "cycles-" + UUID.randomUUID();
        int shard = Shards.of(key, 4);
        ShardPool pool = pipeline.pools().get(shard);
        String batch = IntStream.range(0, 40)
                .mapToObj(i -> "{\"timestamp\":\"2026-01-01T10:00:00Z\",\"key\":\"" + key + "\",\"value\":\"block\"}")
                .collect(Collectors.joining(",", "[", "]"));

        for (int cycle = 0; cycle < 4; cycle++) {
            gate = new CountDownLatch(1);
            assertThat(alice.post("/api/v1/messages", batch).status()).isEqualTo(201);
            await("cycle " + cycle + ": the shard to grow").atMost(Duration.ofSeconds(10)).until(() -> pool.activeWorkers() == 4);
            gate.countDown();
            await("cycle " + cycle + ": the shard to shrink").atMost(Duration.ofSeconds(20)).until(() -> pool.activeWorkers() == 3);
        }

        // a retiring worker is marked before its thread ends and leaves the running ones
        await("the last retired worker's thread to end").atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            List<WorkerView> inMemory = pool.workers();
            assertThat(inMemory.stream().filter(w -> w.retiredAt() != null)).as("retired-kept is 2").hasSize(2);
            assertThat(inMemory.stream().filter(w -> w.retiredAt() == null)).hasSize(3);
        });
        await("the four retirements recorded").atMost(Duration.ofSeconds(10)).until(() -> alice.get("/api/v1/workers").json()
                .get("items").valueStream().filter(w -> w.get("shard").asInt() == shard && !w.get("retiredAt").isNull()).count() >= 4);
        Map<String, Instant> retiredRows = updatedAt(shard, true);
        Instant runningBefore = Collections.max(updatedAt(shard, false).values());
        await("the running workers' rows to be refreshed twice").atMost(Duration.ofSeconds(10))
                .until(() -> Collections.min(updatedAt(shard, false).values()).isAfter(runningBefore.plusMillis(600)));
        assertThat(updatedAt(shard, true)).as("a retired worker's row is written once, then left alone")
                .containsAllEntriesOf(retiredRows);
    }

    /** {@code updated_at} of this shard's registry rows, of retired or of running workers, by id. */
    private Map<String, Instant> updatedAt(int shard, boolean retired) {
        return jdbc.sql("SELECT id, updated_at FROM ingest_workers WHERE shard = :shard AND (retired_at IS NOT NULL) = :retired")
                .param("shard", shard).param("retired", retired)
                .query((rs, n) -> Map.entry(rs.getString(1), rs.getTimestamp(2).toInstant())).list().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    @Test
    void anErrorFromOneMessageFailsThatMessageAndNotTheWorkerThatProcessedIt() throws IOException {
        // one key: every message on the same shard, more of them failing than the shard has workers
        String key = "errors-" + UUID.randomUUID();
        ShardPool pool = pipeline.pools().get(Shards.of(key, 4));
        for (int i = 0; i < 5; i++) {
            assertThat(alice.post("/api/v1/messages",
                    "[{\"timestamp\":\"2026-01-01T10:00:00Z\",\"key\":\"" + key + "\",\"value\":\"overflow\"}]").status())
                    .isEqualTo(201);
        }

        await("each failing message to be dead-lettered").atMost(Duration.ofSeconds(30))
                .until(() -> alice.get("/api/v1/dead-letters?type=message").json().get("items").size() == 5);
        assertThat(alice.get("/api/v1/dead-letters?type=message").json().get("items").valueStream()).allSatisfy(letter -> {
            assertThat(letter.get("error").asString()).contains("StackOverflowError");
            assertThat(letter.get("attempts").asInt()).isEqualTo(2);
        });
        String fine = "after-errors-" + UUID.randomUUID();
        assertThat(alice.post("/api/v1/messages",
                "[{\"timestamp\":\"2026-01-01T10:00:00Z\",\"key\":\"" + key + "\",\"value\":\"" + fine + "\"}]").status())
                .isEqualTo(201);
        await("a later message on the shard to be written").atMost(Duration.ofSeconds(20)).until(() -> values().contains(fine));
        assertThat(pool.activeWorkers()).as("the count of workers").isEqualTo(pool.aliveWorkers()).isBetween(3, 4);
    }

    @Test
    void aWorkerThatStopsWhileThePoolRunsIsCountedOutAndReplaced() throws IOException {
        String key = "interrupted-" + UUID.randomUUID();
        ShardPool pool = pipeline.pools().get(Shards.of(key, 4));
        long before = pool.workers().stream().filter(w -> w.retiredAt() == null).count();

        assertThat(alice.post("/api/v1/messages",
                "[{\"timestamp\":\"2026-01-01T10:00:00Z\",\"key\":\"" + key + "\",\"value\":\"interrupt\"}]").status())
                .isEqualTo(201);

        await("the message in a file").atMost(Duration.ofSeconds(20)).until(() -> values().contains("interrupt"));
        await("the count to match the workers that run").atMost(Duration.ofSeconds(10))
                .until(() -> pool.activeWorkers() == pool.aliveWorkers() && pool.activeWorkers() >= 3);
        assertThat(pool.workers().stream().filter(w -> w.retiredAt() == null)).hasSize(pool.activeWorkers())
                .hasSizeGreaterThanOrEqualTo((int) Math.min(before, 3));
    }

    @Test
    void batchFilesAndTheirDirectoriesAreOnlyTheOwners() throws Exception {
        String value = "private-" + UUID.randomUUID();
        assertThat(alice.post("/api/v1/messages", "[{\"timestamp\":\"2026-01-01T10:00:00Z\",\"value\":\"" + value + "\"}]")
                .status()).isEqualTo(201);
        await("the message in a file").atMost(Duration.ofSeconds(20)).until(() -> values().contains(value));

        assertThat(mode(messages())).isEqualTo("rwx------");
        List<Path> files = MessageFiles.under(messages());
        assertThat(files).isNotEmpty().allSatisfy(file -> {
            assertThat(mode(file)).as(file.toString()).isEqualTo("rw-------");
            assertThat(mode(file.getParent())).as(file.getParent().toString()).isEqualTo("rwx------");
        });
    }

    private static String mode(Path path) {
        try {
            return java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aMessageThatProcessesTooLongIsRetriedThenDeadLettered() {
        Api.Response answer = alice.post("/api/v1/messages", "[{\"timestamp\":\"2026-01-01T10:00:00Z\",\"value\":\"slow\"}]");
        assertThat(answer.status()).isEqualTo(201);
        String aliceId = alice.get("/api/v1/me").json().get("id").asString();

        await("the slow message to be dead-lettered").atMost(Duration.ofSeconds(20)).until(() ->
                jdbc.sql("SELECT count(*) FROM dead_letters WHERE type = 'message' AND owner_id = CAST(:o AS UUID)")
                        .param("o", aliceId).query(Integer.class).single() == 1);
        var letter = jdbc.sql("SELECT attempts, error FROM dead_letters WHERE type = 'message' AND owner_id = CAST(:o AS UUID)")
                .param("o", aliceId).query((rs, n) -> List.of(rs.getInt(1), rs.getString(2))).single();
        assertThat(letter.get(0)).isEqualTo(2);
        assertThat((String) letter.get(1)).contains("processing took longer than 300ms");
    }

    @Test
    void aMessageThatFailsAmongOthersIsRetriedAndDeadLetteredAloneWhileTheOthersAreWrittenOnce() throws IOException {
        // one key: the five messages are one queue entry of one shard
        String run = UUID.randomUUID().toString();
        List<String> fine = IntStream.range(0, 4).mapToObj(i -> "fine-" + i + "-" + run).toList();
        String batch = Stream.concat(fine.stream().limit(2), Stream.concat(
                        Stream.of("slow"), fine.stream().skip(2)))
                .map(v -> "{\"timestamp\":\"2026-01-01T10:00:00Z\",\"key\":\"" + run + "\",\"value\":\"" + v + "\"}")
                .collect(Collectors.joining(",", "[", "]"));

        assertThat(alice.post("/api/v1/messages", batch).status()).isEqualTo(201);

        await("the slow message to be dead-lettered").atMost(Duration.ofSeconds(30))
                .until(() -> alice.get("/api/v1/dead-letters?type=message").json().get("items").size() == 1);
        JsonNode letter = alice.get("/api/v1/dead-letters?type=message").json().get("items").get(0);
        assertThat(letter.get("payload").get("value").asString()).as("the dead letter is the slow message alone").isEqualTo("slow");
        assertThat(letter.get("payload").get("key").asString()).isEqualTo(run);
        assertThat(letter.get("attempts").asInt()).isEqualTo(2);
        List<String> written = MessageFiles.under(messages()).stream().flatMap(f -> linesOf(f).stream())
                .map(line -> JSON.readTree(line).path("value").asString(""))
                .filter(v -> v.endsWith(run)).toList();
        assertThat(written).as("the others are written, once each").containsExactlyInAnyOrderElementsOf(fine);
        assertThat(MessageFiles.under(messages()).stream().flatMap(f -> linesOf(f).stream()).map(JSON::readTree)
                .filter(line -> line.path("key").asString("").equals(run)).map(line -> line.path("value").asString("")))
                .as("the slow message is in no file").doesNotContain("slow");
        assertThat(alice.get("/api/v1/dead-letters?type=message").json().get("items")).as("one dead letter, for it alone").hasSize(1);
        // once in the shared entry, then max-attempts (2) times alone: docs/ingest.md says so
        assertThat(SLOW_RUNS.get(run)).hasValue(3);
    }

    @Test
    void theWorkersOfEveryIngestNodeAreListedAndThoseOfAKilledNodeAsRetired() {
        Instant now = Instant.now();
        jdbc.sql("""
                INSERT INTO ingest_workers (id, node_id, shard, processed, batches, started_at, retired_at, updated_at)
                VALUES ('s0-w1-other', 'other-node', 0, 7, 2, :started, NULL, :now),
                       ('s1-w1-gone', 'killed-node', 1, 5, 1, :started, NULL, :lastSeen)
                """).param("started", java.sql.Timestamp.from(now.minusSeconds(600)))
                .param("now", java.sql.Timestamp.from(now))
                .param("lastSeen", java.sql.Timestamp.from(now.minusSeconds(300))).update();

        List<JsonNode> workers = alice.get("/api/v1/workers").json().get("items").valueStream().toList();

        JsonNode other = workers.stream().filter(w -> w.get("id").asString().equals("s0-w1-other")).findFirst().orElseThrow();
        assertThat(other.get("processed").asLong()).isEqualTo(7);
        assertThat(other.get("retiredAt").isNull()).isTrue();
        JsonNode gone = workers.stream().filter(w -> w.get("id").asString().equals("s1-w1-gone")).findFirst().orElseThrow();
        assertThat(Instant.parse(gone.get("retiredAt").asString())).as("when it was last seen")
                .isCloseTo(now.minusSeconds(300), org.assertj.core.api.Assertions.within(1, java.time.temporal.ChronoUnit.MILLIS));
        assertThat(workers).as("this node's own workers too").anySatisfy(w -> assertThat(w.get("id").asString()).endsWith(ownSuffix()));
    }

    private String ownSuffix() {
        String id = pipeline.pools().getFirst().workers().getFirst().id();
        return id.substring(id.lastIndexOf('-'));
    }

    @Test
    void messageAndWorkerMetricsAreExported() {
        alice.post("/api/v1/messages", "[{\"timestamp\":\"2026-01-01T10:00:00Z\",\"value\":\"m\"}]");
        await().atMost(Duration.ofSeconds(10)).until(() -> api().get("/actuator/prometheus").body().contains("pollster_messages_total{"));
        assertThat(api().get("/actuator/prometheus").body()).contains("pollster_workers{shard=\"0\"}");
    }

    private static List<String> linesOf(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private Path messages() {
        return pollster.dataDir().resolve("messages");
    }

    /**
     * A message accepted after {@code before} would reach a file with a later {@code receivedAt};
     * one sent after the refused requests shows when everything before it has had its chance.
     */
    private void assertNothingAcceptedSince(Instant before) throws IOException {
        String sentinel = "sentinel-" + UUID.randomUUID();
        assertThat(alice.post("/api/v1/messages", "[{\"timestamp\":\"2026-01-01T10:00:00Z\",\"value\":\"" + sentinel + "\"}]")
                .status()).isEqualTo(201);
        await("the message sent after the refused ones").atMost(Duration.ofSeconds(20)).until(() -> values().contains(sentinel));
        assertThat(linesAcceptedSince(before)).containsExactly(sentinel);
    }

    private List<String> linesAcceptedSince(Instant since) throws IOException {
        List<String> values = new ArrayList<>();
        for (Path file : MessageFiles.under(messages())) {
            for (String line : Files.readAllLines(file)) {
                JsonNode message = JSON.readTree(line);
                if (!Instant.parse(message.get("receivedAt").asString()).isBefore(since)) {
                    values.add(message.path("value").asString(""));
                }
            }
        }
        return values;
    }

    private Set<String> values() throws IOException {
        Set<String> values = new HashSet<>();
        for (Path file : MessageFiles.under(messages())) {
            for (String line : Files.readAllLines(file)) {
                values.add(JSON.readTree(line).path("value").asString(""));
            }
        }
        return values;
    }
}
