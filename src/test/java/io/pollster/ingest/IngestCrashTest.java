package io.pollster.ingest;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import io.pollster.support.Api;
import io.pollster.support.MessageFiles;
import io.pollster.support.PollsterProcess;
import io.pollster.support.TestBroker;
import io.pollster.support.TestDatabase;
import io.pollster.support.TestDirs;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A Pollster taking messages under load is stopped with SIGTERM, started again, loaded again and
 * killed with SIGKILL, then started once more: every message it answered 201 for ends up in a
 * file. On each transport.
 */
class IngestCrashTest {

    private static final String ADMIN = "ingest-crash-admin-token-0123456789";
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int PER_PHASE = 2000;

    @Test
    void onPostgresSigtermAndSigkillUnderLoadLoseNoAcknowledgedMessage() throws Exception {
        survivesSigtermThenSigkill("pg", Map.of());
    }

    @Test
    void onRabbitMqSigtermAndSigkillUnderLoadLoseNoAcknowledgedMessage() throws Exception {
        survivesSigtermThenSigkill("rabbit", Map.of("POLLSTER_TRANSPORT", "rabbitmq",
                "SPRING_RABBITMQ_HOST", "127.0.0.1",
                "SPRING_RABBITMQ_VIRTUAL_HOST", TestBroker.get().vhost(),
                "POLLSTER_QUEUE_PREFIX", "ingest-crash."));
    }

    private void survivesSigtermThenSigkill(String name, Map<String, String> transport) throws Exception {
        TestDatabase db = TestDatabase.get().sibling("ingest_" + name);
        Path dataDir = TestDirs.newDir("ingest-" + name + "-").resolve("data");
        Map<String, String> env = new HashMap<>(Map.of(
                "SPRING_DATASOURCE_URL", db.url(),
                "SPRING_DATASOURCE_USERNAME", db.username(),
                "SPRING_DATASOURCE_PASSWORD", db.password(),
                "POLLSTER_ADMIN_TOKEN", ADMIN,
                "POLLSTER_INGEST_LINGER", "200ms",
                "POLLSTER_INGEST_VISIBILITY_TIMEOUT", "5s"));
        env.putAll(transport);
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();

        String token;
        try (PollsterProcess first = PollsterProcess.start(dataDir, env).awaitReady(Duration.ofSeconds(180))) {
            token = first.api().as(ADMIN).post("/api/v1/users", "{\"name\":\"alice\"}").json().get("token").asString();
            underLoad(first, token, "term", acknowledged, process ->
                    assertThat(process.terminate(Duration.ofSeconds(60))).as("exit code after SIGTERM").isIn(0, 143));
        }
        try (PollsterProcess second = PollsterProcess.start(dataDir, env).awaitReady(Duration.ofSeconds(180))) {
            underLoad(second, token, "kill", acknowledged, PollsterProcess::kill);
        }
        assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(2 * PER_PHASE);

        try (PollsterProcess third = PollsterProcess.start(dataDir, env).awaitReady(Duration.ofSeconds(180))) {
            await("every acknowledged message in a file after the restarts").atMost(Duration.ofSeconds(90))
                    .untilAsserted(() -> assertThat(acknowledged).isSubsetOf(written(dataDir)));
            await("the ingest queues to drain").atMost(Duration.ofSeconds(60))
                    .until(() -> waiting(third.api().as(ADMIN)) == 0);
            assertThat(third.terminate(Duration.ofSeconds(60))).isIn(0, 143);
        }
        assertThat(db.scalar("SELECT count(*) FROM dead_letters")).isZero();
    }

    private interface Stop {
        void apply(PollsterProcess process) throws Exception;
    }

    /** Four clients post batches of 50 until {@link #PER_PHASE} are acknowledged, then the process is stopped under them. */
    private static void underLoad(PollsterProcess process, String token, String phase, Set<String> acknowledged, Stop stop)
            throws Exception {
        int before = acknowledged.size();
        AtomicBoolean sending = new AtomicBoolean(true);
        AtomicInteger batches = new AtomicInteger();
        try (ExecutorService clients = Executors.newFixedThreadPool(4); HttpClient http = HttpClient.newHttpClient()) {
            for (int c = 0; c < 4; c++) {
                int client = c;
                clients.submit(() -> {
                    while (sending.get()) {
                        int batch = batches.incrementAndGet();
                        List<String> values = IntStream.range(0, 50).mapToObj(i -> phase + "-" + client + "-" + batch + "-" + i).toList();
                        String body = values.stream()
                                .map(v -> "{\"timestamp\":\"2026-11-23T10:00:00Z\",\"key\":\"" + v + "\",\"value\":\"" + v + "\"}")
                                .collect(Collectors.joining(",", "[", "]"));
                        try {
                            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(
                                            URI.create("http://localhost:" + process.port() + "/api/v1/messages"))
                                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                                    .timeout(Duration.ofSeconds(10))
                                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                            if (answer.statusCode() == 201) {
                                acknowledged.addAll(values);
                            }
                        } catch (IOException | InterruptedException e) {
                            if (!sending.get()) {
                                return null; // no answer: not acknowledged, nothing promised
                            }
                        }
                    }
                    return null;
                });
            }
            await("load on the process before the " + phase).atMost(Duration.ofSeconds(60))
                    .until(() -> acknowledged.size() - before >= PER_PHASE);
            stop.apply(process);
            sending.set(false);
        }
    }

    /** Messages still on an ingest queue (or in the outbox), by the cluster view, whatever the transport. */
    private static long waiting(Api admin) {
        return admin.get("/api/v1/cluster").json().get("queues").valueStream()
                .filter(q -> q.get("name").asString().contains("ingest-") || q.get("name").asString().equals("outbox"))
                .mapToLong(q -> q.get("depth").asLong())
                .sum();
    }

    private static Set<String> written(Path dataDir) throws IOException {
        Set<String> values = new HashSet<>();
        for (Path file : MessageFiles.under(dataDir.resolve("messages"))) {
            for (String line : Files.readAllLines(file)) {
                values.add(JSON.readTree(line).path("value").asString(""));
            }
        }
        return values;
    }
}
