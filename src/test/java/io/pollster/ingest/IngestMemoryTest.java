package io.pollster.ingest;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import io.pollster.support.Api;
import io.pollster.support.IntegrationTest;
import io.pollster.support.MessageFiles;
import io.pollster.system.PollsterProperties;
import io.pollster.system.memory.ByteBudget;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code POST /messages} under memory pressure: a budget of 1 MiB of bytes in flight (512 KiB per
 * user), requests of about 200 KiB, and clients that announce a body and then hold it back, or
 * send most of it and then stall, as a hostile one would.
 */
@Import(IngestMemoryTest.BlockingProcessing.class)
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class IngestMemoryTest extends IntegrationTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final long BUDGET = 1024 * 1024;
    /** Messages whose value starts with "block" wait on this latch while being processed. */
    private static volatile CountDownLatch gate = new CountDownLatch(0);

    @DynamicPropertySource
    static void ingest(DynamicPropertyRegistry registry) {
        registry.add("pollster.ingest.enabled", () -> "true");
        registry.add("pollster.memory.in-flight", () -> BUDGET + "B");
        registry.add("pollster.memory.per-user", () -> (BUDGET / 2) + "B");
        registry.add("pollster.ingest.max-request-size", () -> "2MB");
        registry.add("pollster.ingest.linger", () -> "200ms");
        registry.add("pollster.ingest.processing-timeout", () -> "30s");
        registry.add("pollster.queue.poll-interval", () -> "20ms");
    }

    @TestConfiguration
    static class BlockingProcessing {
        @Bean
        @Primary
        MessageProcessor blockingForSomeValues() {
            return message -> {
                if (JSON.readTree(message).path("value").asString("").startsWith("block")) {
                    gate.await(30, TimeUnit.SECONDS);
                }
                return message;
            };
        }
    }

    @Autowired
    private ByteBudget budget;
    @Autowired
    private PollsterProperties pollster;

    private String token;
    private Api alice;
    private String bob;
    private String carol;
    private final List<Socket> slowSenders = new ArrayList<>();

    @BeforeEach
    void user() {
        token = createUser("alice");
        alice = api().as(token);
        bob = createUser("bob");
        carol = createUser("carol");
    }

    @AfterEach
    void release() throws IOException {
        gate.countDown();
        for (Socket socket : slowSenders) {
            socket.close();
        }
    }

    @Test
    void aClientThatAnnouncesALargeBodyAndHoldsItBackHoldsOnlyWhatItSent() throws Exception {
        String run = run();
        // three clients announce ~340 KiB each and send only the start
        List<byte[]> slowBodies = IntStream.range(0, 3).mapToObj(i -> body(run + "-slow-" + i, 160, 2048)).toList();
        for (byte[] slow : slowBodies) {
            slowSenders.add(startSlowSender(token, slow, 100));
        }
        await("the slow senders' first chunks reserved").atMost(Duration.ofSeconds(10))
                .until(() -> budget.inUse() >= 3L * MessageController.CHUNK);
        assertThat(budget.inUse()).as("a chunk each, not what they announced").isEqualTo(3L * MessageController.CHUNK);

        List<Api.Response> others = new ArrayList<>(flood(api().as(bob), run + "-bob", 1));
        others.addAll(flood(api().as(carol), run + "-carol", 1));

        assertThat(others).allSatisfy(answer -> assertThat(answer.status()).as(answer.toString()).isEqualTo(201));
        for (int i = 0; i < slowSenders.size(); i++) {
            assertThat(finishSlowSender(slowSenders.get(i), slowBodies.get(i), 100)).startsWith("HTTP/1.1 201");
        }
        await("every reservation to be given back").atMost(Duration.ofSeconds(30)).until(() -> budget.inUse() == 0);
    }

    @Test
    void whileSlowSendersHoldTheBudgetAFloodOfLargeRequestsIsAnswered503AndNothingOfItIsEnqueued() throws Exception {
        String run = run();
        // two users' clients send ~400 KiB each but the last bytes: 448 KiB reserved each, 128 KiB left
        List<byte[]> slowBodies = List.of(body(run + "-slow-0", 190, 2048), body(run + "-slow-1", 190, 2048));
        slowSenders.add(startSlowSender(token, slowBodies.get(0), slowBodies.get(0).length - 100));
        slowSenders.add(startSlowSender(bob, slowBodies.get(1), slowBodies.get(1).length - 100));
        await("the slow senders to hold their bytes").atMost(Duration.ofSeconds(10))
                .until(() -> budget.inUse() >= BUDGET - 2L * MessageController.CHUNK);

        List<Api.Response> flood = flood(api().as(carol), run + "-pinned", 30);
        Api.Response chunked = api().as(carol).send(chunked(carol, body(run + "-chunked", 100, 2048)));

        assertThat(flood).allSatisfy(answer -> {
            assertThat(answer.status()).as(answer.toString()).isEqualTo(503);
            assertThat(answer.header("Retry-After")).isEqualTo("1");
            assertThat(answer.contentType()).startsWith("application/problem+json");
            assertThat(answer.json().get("detail").asString()).contains("busy").contains("nothing");
        });
        assertThat(chunked.status()).as(chunked.toString()).isEqualTo(503);
        for (int i = 0; i < slowSenders.size(); i++) {
            assertThat(finishSlowSender(slowSenders.get(i), slowBodies.get(i), slowBodies.get(i).length - 100))
                    .as("a slow sender that finishes").startsWith("HTTP/1.1 201");
        }
        await("every reservation to be given back").atMost(Duration.ofSeconds(30)).until(() -> budget.inUse() == 0);
        Set<String> accepted = IntStream.range(0, 2).boxed()
                .flatMap(i -> IntStream.range(0, 190).mapToObj(m -> run + "-slow-" + i + "-" + m)).collect(Collectors.toSet());
        await("the slow senders' messages in files").atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> assertThat(valuesStartingWith(run)).containsAll(accepted));
        assertNothingElseEnqueued(run, accepted);
    }

    @Test
    void oneUsersStalledRequestsTakeNoMoreThanTheirShareAndOthersGoOn() throws Exception {
        String run = run();
        byte[] slow = body(run + "-slow", 190, 2048);
        slowSenders.add(startSlowSender(token, slow, slow.length - 100)); // 448 KiB of alice's 512 KiB
        await().atMost(Duration.ofSeconds(10)).until(() -> budget.heldBy(UUID.fromString(alice.get("/api/v1/me").json().get("id").asString())) >= 400_000);

        Api.Response alicesNext = alice.post("/api/v1/messages", new String(body(run + "-alice", 100, 2048), StandardCharsets.UTF_8));
        Api.Response bobs = api().as(bob).post("/api/v1/messages", new String(body(run + "-bob", 100, 2048), StandardCharsets.UTF_8));

        assertThat(alicesNext.status()).as("past alice's share: " + alicesNext).isEqualTo(503);
        assertThat(bobs.status()).as("bob has the rest of the budget: " + bobs).isEqualTo(201);
        Api.Response alicesJobs = alice.get("/api/v1/jobs");
        assertThat(alicesJobs.status()).as("a page of jobs is reserved from the same share: " + alicesJobs).isEqualTo(503);
        assertThat(alicesJobs.header("Retry-After")).isEqualTo("1");
        assertThat(api().as(bob).get("/api/v1/jobs").status()).isEqualTo(200);
        assertThat(finishSlowSender(slowSenders.getFirst(), slow, slow.length - 100)).startsWith("HTTP/1.1 201");
        await().atMost(Duration.ofSeconds(30)).until(() -> budget.inUse() == 0);
    }

    @Test
    void anUnrestrainedFloodGetsOnly201sOr503sAndEvery201IsInTheFiles() throws Exception {
        String run = run();

        List<Api.Response> flood = flood(run, 40);

        // the budget holds four of them at a time; the others wait up to a second for room, or get a 503
        assertThat(flood).allSatisfy(answer -> assertThat(answer.status()).as(answer.toString()).isIn(201, 503));
        assertThat(flood).extracting(Api.Response::status).contains(201);
        Set<String> accepted = new HashSet<>();
        for (int i = 0; i < flood.size(); i++) {
            if (flood.get(i).status() == 201) {
                int request = i;
                IntStream.range(0, 100).mapToObj(m -> run + "-" + request + "-" + m).forEach(accepted::add);
            }
        }
        await("every accepted message in a file").atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> assertThat(valuesStartingWith(run)).containsAll(accepted));
        assertNothingElseEnqueued(run, accepted);
        await("every reservation to be given back").atMost(Duration.ofSeconds(30)).until(() -> budget.inUse() == 0);
    }

    @Test
    void aChunkedBodyIsAcceptedWhenTheBudgetCoversIt() throws Exception {
        String run = run();

        Api.Response accepted = alice.send(chunked(token, body(run + "-accepted", 100, 2048)));

        assertThat(accepted.status()).as(accepted.toString()).isEqualTo(201);
        await("the accepted chunked request in files").atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> assertThat(valuesStartingWith(run + "-accepted")).hasSize(100));
        await().atMost(Duration.ofSeconds(30)).until(() -> budget.inUse() == 0);
    }

    @Test
    void aBodyLargerThanOneUsersShareIs413NotABusy503() throws Exception {
        String run = run();

        Api.Response answer = alice.post("/api/v1/messages",
                new String(body(run, 300, 2048), StandardCharsets.UTF_8)); // > 512 KiB, < max-request-size

        assertThat(answer.status()).as(answer.toString()).isEqualTo(413);
        assertThat(answer.json().get("detail").asString()).contains("pollster.memory.per-user");
        assertNothingElseEnqueued(run, Set.of());
    }

    @Test
    void aQueueEntryHoldsItsBytesWhileItsMessagesAreProcessed() throws Exception {
        gate = new CountDownLatch(1);
        String run = "block-" + run();
        // one key: the request is one queue entry of one shard
        String batch = IntStream.range(0, 100)
                .mapToObj(i -> "{\"timestamp\":\"2026-01-01T10:00:00Z\",\"key\":\"" + run + "\",\"value\":\"" + run + "-" + i + "-"
                        + "x".repeat(2000) + "\"}")
                .collect(Collectors.joining(",", "[", "]"));

        assertThat(alice.post("/api/v1/messages", batch).status()).isEqualTo(201);

        await("the entry's bytes to be reserved while its messages wait in processing").atMost(Duration.ofSeconds(20))
                .until(() -> budget.inUse() >= 200_000);
        assertThat(api().get("/actuator/prometheus").body()).contains("pollster_memory_in_flight_bytes ")
                .contains("pollster_memory_in_flight_capacity_bytes " + (double) BUDGET);
        gate.countDown();
        await("the messages in files").atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> assertThat(valuesStartingWith(run)).hasSize(100));
        await("the entry's bytes given back").atMost(Duration.ofSeconds(30)).until(() -> budget.inUse() == 0);
    }

    private static String run() {
        return UUID.randomUUID().toString().substring(0, 8); // the data directory outlives this test class
    }

    /** A JSON array of messages valued {@code <prefix>-<i>-<padding>}, padded to about {@code size} bytes each. */
    private static byte[] body(String prefix, int messages, int size) {
        return IntStream.range(0, messages)
                .mapToObj(i -> "{\"timestamp\":\"2026-01-01T10:00:00Z\",\"key\":\"k" + i + "\",\"value\":\"" + prefix + "-" + i
                        + "-" + "x".repeat(size) + "\"}")
                .collect(Collectors.joining(",", "[", "]")).getBytes(StandardCharsets.UTF_8);
    }

    private List<Api.Response> flood(String prefix, int requests) throws Exception {
        return flood(alice, prefix, requests);
    }

    /** Requests of 100 messages of ~2 KiB (~210 KiB), all sent at once; answers in request order. */
    private List<Api.Response> flood(Api sender, String prefix, int requests) throws Exception {
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Api.Response>> answers = new ArrayList<>();
            CountDownLatch start = new CountDownLatch(1);
            for (int i = 0; i < requests; i++) {
                String body = new String(body(prefix + "-" + i, 100, 2048), StandardCharsets.UTF_8);
                answers.add(clients.submit(() -> {
                    start.await();
                    return sender.post("/api/v1/messages", body);
                }));
            }
            start.countDown();
            List<Api.Response> result = new ArrayList<>();
            for (Future<Api.Response> answer : answers) {
                result.add(answer.get(60, TimeUnit.SECONDS));
            }
            return result;
        }
    }

    private HttpRequest.Builder chunked(String as, byte[] body) {
        // an InputStream publisher has no length: the request goes out with Transfer-Encoding: chunked
        return api().as(as).request("/api/v1/messages").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body)));
    }

    /** Sends the headers, with the full Content-Length, and only the first bytes of the body. */
    private Socket startSlowSender(String token, byte[] body, int sendFirst) throws IOException {
        Socket socket = new Socket("localhost", port);
        socket.setSoTimeout(30_000);
        OutputStream out = socket.getOutputStream();
        out.write(("POST /api/v1/messages HTTP/1.1\r\nHost: localhost:" + port + "\r\nAuthorization: Bearer " + token
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.write(body, 0, sendFirst);
        out.flush();
        return socket;
    }

    /** Sends the rest of the body; the answer's status line. */
    private static String finishSlowSender(Socket socket, byte[] body, int sentFirst) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(body, sentFirst, body.length - sentFirst);
        out.flush();
        return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
    }

    /** A sentinel sent last reaches its file after anything enqueued before it could have. */
    private void assertNothingElseEnqueued(String run, Set<String> accepted) throws IOException {
        String sentinel = run + "-sentinel";
        assertThat(alice.post("/api/v1/messages", "[{\"timestamp\":\"2026-01-01T10:00:00Z\",\"value\":\"" + sentinel + "\"}]")
                .status()).isEqualTo(201);
        await("the sentinel in a file").atMost(Duration.ofSeconds(30)).until(() -> valuesStartingWith(sentinel).size() == 1);
        Set<String> expected = new HashSet<>(accepted);
        expected.add(sentinel);
        assertThat(valuesStartingWith(run)).as("nothing but the accepted requests' messages").isEqualTo(expected);
    }

    /** The values (without their padding) of written messages that start with the prefix. */
    private Set<String> valuesStartingWith(String prefix) throws IOException {
        Set<String> values = new HashSet<>();
        for (Path file : MessageFiles.under(pollster.dataDir().resolve("messages"))) {
            for (String line : Files.readAllLines(file)) {
                JsonNode message = JSON.readTree(line);
                String value = message.path("value").asString("");
                if (value.startsWith(prefix)) {
                    values.add(value.replaceFirst("-x+$", ""));
                }
            }
        }
        return values;
    }
}
