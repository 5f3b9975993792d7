package io.pollster.poll;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.GZIPOutputStream;

import io.pollster.support.Api;
import io.pollster.support.PipelineTest;
import io.pollster.support.StubUpstream.Answer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Upstreams that misbehave on purpose — slower than the job's interval, compression bombs,
 * catastrophic patterns — against a running Pollster: each ends as a bounded, visible outcome of
 * that one job, and the rest of the service goes on.
 */
@ExtendWith(OutputCaptureExtension.class)
class HostileUpstreamTest extends PipelineTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Autowired
    private JdbcClient jdbc;

    private Api alice;

    @BeforeEach
    void user() {
        alice = api().as(createUser("alice"));
    }

    @DynamicPropertySource
    static void shortPolls(DynamicPropertyRegistry registry) {
        registry.add("pollster.poller.max-poll-time", () -> "10s");
    }

    @Test
    void aPollGivesUpWhenAnotherAttemptWouldTakeItPastItsTimeLimit() {
        upstream.route("/unavailable", n -> Answer.status(503));
        String id = job("""
                {"url":"%s","interval":"1h","timeout":"1s","retry":{"maxAttempts":10,"backoff":"3s","maxBackoff":"3s"}}
                """.formatted(upstream.url("/unavailable")));

        await().atMost(WAIT).until(() -> stats(id).get("failures").asLong() == 1);

        JsonNode poll = history(id).getFirst();
        assertThat(poll.get("error").asString()).isEqualTo("HTTP 503 Service Unavailable; gave up: another attempt would "
                + "take the poll past its limit of 10s");
        assertThat(poll.get("attempts").asInt()).as("10 s hold two or three waits of up to 3 s and a 1 s attempt").isBetween(2, 6);
        assertThat(deadLetters(id)).isEqualTo(1);
    }

    @Test
    void aSlowUpstreamPolledMoreOftenThanItAnswersIsNeverHitTwiceAtOnce() {
        upstream.route("/slow", n -> Answer.json("{\"n\":1}").after(2_500));
        String id = job("{\"url\":\"%s\",\"interval\":\"1s\",\"timeout\":\"10s\"}".formatted(upstream.url("/slow")));

        await("three polls of a 2.5 s upstream on a 1 s schedule").atMost(WAIT).until(() -> stats(id).get("polls").asLong() >= 3);

        assertThat(upstream.mostAtOnce("/slow")).isEqualTo(1);
        List<JsonNode> history = history(id);
        assertThat(history).as("two entries: the first poll's change, then the quiet polls folded with the due times skipped").hasSize(2);
        assertThat(history.getFirst().get("outcome").asString()).isEqualTo("unchanged");
        assertThat(history.stream().mapToInt(e -> e.get("skipped").asInt()).sum()).as("due times skipped").isGreaterThanOrEqualTo(2);
    }

    @Test
    void aFloodOfRunNowsCostsAHandfulOfUpstreamRequests() throws Exception {
        upstream.route("/run", n -> Answer.json("{\"n\":" + n + "}").after(500));
        String id = job("{\"url\":\"%s\",\"interval\":\"1h\"}".formatted(upstream.url("/run")));
        await("the first poll").atMost(WAIT).until(() -> stats(id).get("polls").asLong() == 1);

        try (var callers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Integer>> answers = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                answers.add(callers.submit(() -> alice.post("/api/v1/jobs/" + id + "/run").status()));
            }
            for (Future<Integer> answer : answers) {
                assertThat(answer.get()).isEqualTo(202);
            }
        }
        await("the requested runs are over").atMost(WAIT).until(() -> requestedRunsOver(id));

        assertThat(upstream.requests("/run")).as("200 run-nows coalesce into a run or two").hasSizeBetween(2, 4);
        assertThat(upstream.mostAtOnce("/run")).isEqualTo(1);
    }

    @Test
    void anLzmaBombIsRefusedUndecodedAsOneFailedPollAndOneDeadLetter(CapturedOutput output) {
        // an lzma header claiming a 2 GiB dictionary: a client that decoded it would allocate that much
        byte[] bomb = {0x5d, 0x00, 0x00, 0x00, (byte) 0x80, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
                (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x00};
        upstream.route("/lzma", n -> Answer.bytes("application/json", bomb).withHeader("Content-Encoding", "lzma"));
        String id = job("{\"url\":\"%s\",\"interval\":\"1h\",\"retry\":{\"maxAttempts\":3,\"backoff\":\"10ms\"}}"
                .formatted(upstream.url("/lzma")));

        await().atMost(WAIT).until(() -> stats(id).get("failures").asLong() == 1);

        JsonNode poll = history(id).getFirst();
        assertThat(poll.get("error").asString()).contains("Content-Encoding lzma", "did not ask for");
        assertThat(poll.get("attempts").asInt()).as("refused, not retried").isEqualTo(1);
        assertThat(deadLetters(id)).isEqualTo(1);
        assertThat(output.getAll()).doesNotContain("OutOfMemoryError", "lzma/LZMA");
    }

    @Test
    void aGzipBombStopsAtTheBodyLimitAsOneFailedPoll(CapturedOutput output) throws IOException {
        var bomb = new ByteArrayOutputStream();
        try (var gzip = new GZIPOutputStream(bomb)) {
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 256; i++) {
                gzip.write(zeros); // 256 MiB of zeros in about 256 KiB
            }
        }
        upstream.route("/gzip", n -> Answer.bytes("application/json", bomb.toByteArray()).withHeader("Content-Encoding", "gzip"));
        String id = job("{\"url\":\"%s\",\"interval\":\"1h\"}".formatted(upstream.url("/gzip")));

        await().atMost(WAIT).until(() -> stats(id).get("failures").asLong() == 1);

        assertThat(history(id).getFirst().get("error").asString()).isEqualTo("response body larger than 65536 bytes");
        assertThat(deadLetters(id)).isEqualTo(1);
        assertThat(output.getAll()).doesNotContain("OutOfMemoryError");
    }

    @Test
    void aJobFailingTheSameWayAgainAndAgainKeepsOneDeadLetterThatCountsThem() {
        upstream.route("/down", n -> Answer.status(500));
        String id = job("{\"url\":\"%s\",\"interval\":\"1s\",\"retry\":{\"maxAttempts\":1}}".formatted(upstream.url("/down")));

        await().atMost(WAIT).until(() -> stats(id).get("failures").asLong() >= 3);

        JsonNode letters = alice.get("/api/v1/dead-letters?type=poll").json().get("items");
        assertThat(letters).hasSize(1);
        assertThat(letters.get(0).get("count").asInt()).isGreaterThanOrEqualTo(3);
        assertThat(letters.get(0).get("error").asString()).isEqualTo("HTTP 500 Internal Server Error");
        assertThat(letters.get(0).get("firstFailedAt").asString()).isLessThan(letters.get(0).get("failedAt").asString());
    }

    @Test
    void aCatastrophicPatternOnALargeBodyEndsInBoundedTimeWhileTheApiAnswers() throws Exception {
        String body = "a".repeat(60_000) + "!";
        upstream.route("/text", n -> Answer.text(body));
        String id = job("""
                {"url":"%s","interval":"1h","dedup":{"mode":"text","ignorePatterns":["^(.*a){25}$","(a|aa)+b","(.*.*)*c"]}}
                """.formatted(upstream.url("/text")));

        long apiCalls = 0;
        long slowest = 0;
        while (stats(id).get("polls").asLong() == 0) {
            long started = System.nanoTime();
            assertThat(alice.get("/api/v1/me").status()).isEqualTo(200);
            slowest = Math.max(slowest, System.nanoTime() - started);
            apiCalls++;
            assertThat(apiCalls).as("the poll ends in bounded time").isLessThan(10_000);
        }

        assertThat(history(id).getFirst().get("outcome").asString()).isEqualTo("changed");
        assertThat(Duration.ofNanos(slowest)).as("the API stays responsive beside it").isLessThan(Duration.ofSeconds(1));
    }

    @Test
    void aRegexFilterOrANestedDeepScanInIgnorePathsIsRefused() {
        Api.Response regex = alice.post("/api/v1/jobs", """
                {"url":"https://example.com/","interval":"1h","dedup":{"ignorePaths":["$[?(@.s =~ /^(.*a){25}$/)]"]}}
                """);
        Api.Response nested = alice.post("/api/v1/jobs", """
                {"url":"https://example.com/","interval":"1h","dedup":{"ignorePaths":["$..items[?(@..id)]"]}}
                """);

        assertThat(regex.status()).isEqualTo(400);
        assertThat(regex.json().get("errors").get(0).get("field").asString()).isEqualTo("dedup.ignorePaths[0]");
        assertThat(regex.json().get("errors").get(0).get("message").asString()).contains("regular-expression filter");
        assertThat(nested.status()).isEqualTo(400);
        assertThat(nested.json().get("errors").get(0).get("message").asString()).contains("inside a filter");
        assertThat(alice.get("/api/v1/jobs").json().get("items")).isEmpty();
    }

    private boolean requestedRunsOver(String id) {
        return Boolean.FALSE.equals(jdbc.sql("SELECT run_requested FROM job_schedules WHERE job_id = CAST(:id AS UUID)")
                .param("id", id).query(Boolean.class).single())
                && upstream.requests("/run").size() == stats(id).get("polls").asLong();
    }

    private String job(String body) {
        Api.Response created = alice.post("/api/v1/jobs", body);
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        return created.json().get("id").asString();
    }

    private JsonNode stats(String id) {
        return alice.get("/api/v1/jobs/" + id).json().get("stats");
    }

    private List<JsonNode> history(String id) {
        return alice.get("/api/v1/jobs/" + id + "/polls").json().get("items").valueStream().toList();
    }

    private int deadLetters(String id) {
        return jdbc.sql("SELECT count(*) FROM dead_letters WHERE type = 'poll' AND job_id = CAST(:id AS UUID)")
                .param("id", id).query(Integer.class).single();
    }
}
