package io.pollster.paging;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.CopyOnWriteArrayList;

import io.pollster.support.Api;
import io.pollster.support.IntegrationTest;
import io.pollster.support.StubUpstream;
import io.pollster.support.StubUpstream.Answer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One user's page of 100,000 items is written a chunk per short transaction: another user's live
 * stream, which reads below the oldest running transaction, keeps up within a second meanwhile.
 */
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class LargePageStreamTest extends IntegrationTest {

    private static final int ITEMS = 100_000;
    private static final HttpClient CLIENT = HttpClient.newHttpClient();
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final StubUpstream upstream = new StubUpstream();

    /** {@link io.pollster.support.PipelineTest}'s settings, but pages of 8 MB (its 64 KB would win over a subclass's). */
    @DynamicPropertySource
    static void largePages(DynamicPropertyRegistry registry) {
        registry.add("pollster.scheduler.enabled", () -> "true");
        registry.add("pollster.scheduler.poll-interval", () -> "20ms");
        registry.add("pollster.poller.enabled", () -> "true");
        registry.add("pollster.queue.poll-interval", () -> "20ms");
        registry.add("pollster.fetch.allow-private-networks", () -> "true");
        registry.add("pollster.max-body-size", () -> "8MB");
        registry.add("pollster.pages.max-items-per-page", () -> Integer.toString(ITEMS));
        registry.add("pollster.min-interval", () -> "100ms");
        registry.add("pollster.events.stream-poll-interval", () -> "50ms");
    }

    @AfterEach
    void stopUpstream() {
        upstream.close();
    }

    /** An event as the stream gave it: when it happened and when it arrived. */
    private record Arrival(String type, Instant occurredAt, Instant receivedAt) {

        Duration lag() {
            return Duration.between(occurredAt, receivedAt);
        }
    }

    @Test
    void aLargePageOfOneUserDoesNotHoldAnotherUsersStreamBackMoreThanASecond() throws Exception {
        Api alice = api().as(createUser("alice"));
        String bobToken = createUser("bob");
        Api bob = api().as(bobToken);
        List<Arrival> bobs = new CopyOnWriteArrayList<>();
        HttpResponse<java.io.InputStream> stream = CLIENT.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/api/v1/events/stream"))
                .header("Authorization", "Bearer " + bobToken).build(), HttpResponse.BodyHandlers.ofInputStream());
        Thread reader = Thread.ofVirtual().start(() -> read(stream, bobs));
        try {
            upstream.route("/ticker", n -> Answer.json("{\"n\":" + n + "}"));
            assertThat(bob.post("/api/v1/jobs", "{\"url\":\"%s\",\"interval\":\"200ms\"}".formatted(upstream.url("/ticker")))
                    .status()).isEqualTo(201);
            await("bob's stream is live").atMost(Duration.ofSeconds(20)).until(() -> bobs.size() >= 3);

            StringJoiner rows = new StringJoiner(",", "{\"next\":null,\"items\":[", "]}");
            for (int i = 0; i < ITEMS; i++) {
                rows.add("{\"id\":" + i + ",\"v\":\"value " + i + "\"}");
            }
            String page = rows.toString();
            upstream.route("/huge", n -> Answer.json(page));
            Api.Response created = alice.post("/api/v1/jobs", """
                    {"url":"%s","interval":"1h","pagination":{"type":"cursor","cursorParam":"c","cursorPath":"$.next"},
                     "items":{"path":"$.items[*]","key":"$.id"}}
                    """.formatted(upstream.url("/huge")));
            assertThat(created.status()).as(created.toString()).isEqualTo(201);
            String aliceJob = created.json().get("id").asString();

            // from the first chunk of alice's items on: one transaction for the page would show none before its end
            await("alice's page is being written").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(20))
                    .until(() -> alice.get("/api/v1/jobs/" + aliceJob + "/items?limit=1").json().get("items").size() == 1);
            Instant writing = Instant.now();
            await("alice's run is over").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200))
                    .until(() -> !run(alice, aliceJob).get("status").asString().equals("running"));
            Instant written = Instant.now();

            JsonNode run = run(alice, aliceJob);
            assertThat(run.get("status").asString()).isEqualTo("succeeded");
            assertThat(run.get("items").get("created").asInt()).isEqualTo(ITEMS);
            List<Arrival> during = bobs.stream()
                    .filter(a -> a.occurredAt().isAfter(writing) && a.occurredAt().isBefore(written.minusSeconds(1)))
                    .toList();
            assertThat(during).as("bob's events while alice's page was written (%s to %s)", writing, written)
                    .hasSizeGreaterThanOrEqualTo(3)
                    .allSatisfy(a -> assertThat(a.lag()).as("%s", a).isLessThan(Duration.ofSeconds(1)));
        } finally {
            stream.body().close();
            reader.interrupt();
        }
    }

    private static JsonNode run(Api api, String job) {
        return api.get("/api/v1/jobs/" + job + "/runs").json().get("items").get(0);
    }

    private static void read(HttpResponse<java.io.InputStream> response, List<Arrival> into) {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.startsWith("data: ")) {
                    JsonNode event = JSON.readTree(line.substring(6));
                    into.add(new Arrival(event.get("type").asString(), Instant.parse(event.get("occurredAt").asString()),
                            Instant.now()));
                }
            }
        } catch (Exception closed) {
            // closed by the test
        }
    }
}
