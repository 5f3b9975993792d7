package io.pollster.output;

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
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import io.pollster.support.Api;
import io.pollster.support.PipelineTest;
import io.pollster.support.StubUpstream.Answer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code GET /events/stream}: a user's own events, live, resumable after a disconnect without a gap or a repeat. */
class EventStreamTest extends PipelineTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final HttpClient CLIENT = HttpClient.newHttpClient();
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Autowired
    private EventLog events;
    @Autowired
    private TransactionTemplate tx;

    private final List<Stream> open = new CopyOnWriteArrayList<>();

    @DynamicPropertySource
    static void stream(DynamicPropertyRegistry registry) {
        registry.add("pollster.min-interval", () -> "100ms");
        registry.add("pollster.events.stream-poll-interval", () -> "50ms");
    }

    @AfterEach
    void close() {
        open.forEach(Stream::close);
    }

    /** An SSE client reading on its own thread: the ids and events it got, in order. */
    private final class Stream {
        final List<String> ids = new CopyOnWriteArrayList<>();
        final List<String> types = new CopyOnWriteArrayList<>();
        final List<String> comments = new CopyOnWriteArrayList<>();
        final HttpResponse<java.io.InputStream> response;
        final Thread reader;

        Stream(String token, String lastEventId) throws Exception {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/events/stream"))
                    .header("Authorization", "Bearer " + token);
            if (lastEventId != null) {
                request.header("Last-Event-ID", lastEventId);
            }
            response = CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            reader = Thread.ofVirtual().start(() -> {
                try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = lines.readLine()) != null) {
                        if (line.startsWith("id: ")) {
                            ids.add(line.substring(4));
                        } else if (line.startsWith("event: ")) {
                            types.add(line.substring(7));
                        } else if (line.startsWith("data: ")) {
                            assertThat(JSON.readTree(line.substring(6)).get("id").asString()).isEqualTo(ids.getLast());
                        } else if (line.startsWith(":")) {
                            comments.add(line);
                        }
                    }
                } catch (Exception closed) {
                    // closed by the test
                }
            });
            open.add(this);
        }

        void close() {
            try {
                response.body().close();
            } catch (Exception ignored) {
                // already closed
            }
            reader.interrupt();
        }
    }

    @Test
    void aUserStreamsOnlyTheirOwnEventsAndResumesAfterADisconnectWithoutAGapOrARepeat() throws Exception {
        String aliceToken = createUser("alice");
        String bobToken = createUser("bob");
        Api alice = api().as(aliceToken);
        Stream aliceStream = new Stream(aliceToken, null);
        Stream bobStream = new Stream(bobToken, null);
        assertThat(aliceStream.response.statusCode()).isEqualTo(200);
        assertThat(aliceStream.response.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/event-stream");

        upstream.route("/ticker", n -> Answer.json("{\"n\":" + n + "}"));
        String id = alice.post("/api/v1/jobs", "{\"url\":\"%s\",\"interval\":\"100ms\"}".formatted(upstream.url("/ticker")))
                .json().get("id").asString();
        await("a few events live").atMost(WAIT).until(() -> aliceStream.ids.size() >= 3);
        aliceStream.close();
        String resumeAfter = aliceStream.ids.getLast();
        int seenBefore = aliceStream.ids.size();

        await("more events while disconnected").atMost(WAIT).until(() -> eventIds(alice, id).size() >= seenBefore + 3);
        Stream resumed = new Stream(aliceToken, resumeAfter);
        await("the events since the disconnect").atMost(WAIT).until(() -> resumed.ids.size() >= 3);
        alice.post("/api/v1/jobs/" + id + "/stop");
        // a poll in flight when the job stopped may still add an event: compare until both settle
        await("every stored event streamed").atMost(WAIT).untilAsserted(() ->
                assertThat(aliceStreamedSoFar(aliceStream, resumed)).as("all of them, each once, in order").isEqualTo(eventIds(alice, id)));
        assertThat(aliceStream.types).containsOnly("version.created");
        assertThat(bobStream.ids).as("another user's events never reach bob").isEmpty();
    }

    @Test
    void eventsCommittedElsewhereAppearAndARolledBackOneNever() throws Exception {
        String token = createUser("carol");
        Api carol = api().as(token);
        upstream.route("/still", n -> Answer.json("{\"a\":1}"));
        String id = carol.post("/api/v1/jobs", "{\"url\":\"%s\",\"interval\":\"1h\"}".formatted(upstream.url("/still")))
                .json().get("id").asString();
        await().atMost(WAIT).until(() -> eventIds(carol, id).size() == 1);
        Stream stream = new Stream(token, eventIds(carol, id).getFirst());

        // as another node would: its own transaction, committed
        UUID committed = tx.execute(s -> events.append(UUID.fromString(id), EventType.JOB_STALE, Instant.now(), JSON.createObjectNode()));
        // and one whose transaction rolls back: it never existed
        UUID[] rolledBack = new UUID[1];
        tx.executeWithoutResult(s -> {
            rolledBack[0] = events.append(UUID.fromString(id), EventType.JOB_STALE, Instant.now(), JSON.createObjectNode());
            s.setRollbackOnly();
        });

        await().atMost(WAIT).until(() -> stream.ids.contains(committed.toString()));
        assertThat(stream.ids).doesNotContain(rolledBack[0].toString());
        assertThat(eventIds(carol, id)).doesNotContain(rolledBack[0].toString());
    }

    @Test
    void aUserHoldsFiveStreamsAndAClosedOneFreesItsSlotWithinSeconds() throws Exception {
        String token = createUser("erin");
        List<Stream> streams = new java.util.ArrayList<>();
        for (int i = 0; i < 5; i++) {
            streams.add(new Stream(token, null));
            assertThat(streams.getLast().response.statusCode()).isEqualTo(200);
        }
        Stream sixth = new Stream(token, null);
        assertThat(sixth.response.statusCode()).isEqualTo(429);
        await("keep-alive comments on a quiet stream").atMost(WAIT).until(() -> streams.getFirst().comments.size() >= 2);
        streams.getFirst().close();
        // the server notices the closed connection at its next keep-alive (2 s by default) and lets the slot go
        await("a closed stream's slot freed").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(500))
                .until(() -> new Stream(token, null).response.statusCode() == 200);
    }

    @Test
    void theAdminHasNoStreamAndAnonymousCallersNone() throws Exception {
        HttpRequest anonymous = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/events/stream")).build();
        assertThat(CLIENT.send(anonymous, HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(401);
        assertThat(admin().get("/api/v1/events/stream").status()).isEqualTo(403);
    }

    private static List<String> eventIds(Api api, String jobId) {
        return api.get("/api/v1/jobs/" + jobId + "/events?limit=1000").json().get("items").valueStream()
                .map(e -> e.get("id").asString()).toList();
    }

    private static List<String> aliceStreamedSoFar(Stream first, Stream resumed) {
        List<String> all = new java.util.ArrayList<>(first.ids);
        all.addAll(resumed.ids);
        return all;
    }
}
