package io.pollster.poll;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import io.pollster.support.Api;
import io.pollster.support.PipelineTest;
import io.pollster.support.StubUpstream;
import io.pollster.support.StubUpstream.Answer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Jobs polled for real: scheduler → queue → poller → dedup → versions, against a loopback upstream. */
class PollPipelineTest extends PipelineTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @Autowired
    private JdbcClient jdbc;
    @Autowired
    private Retention retention;

    private Api alice;

    @BeforeEach
    void user() {
        alice = api().as(createUser("alice"));
    }

    @Test
    void unchangedPollsStoreNoVersionAndFoldIntoOneHistoryEntry() {
        upstream.route("/same", n -> Answer.json("{\"price\":1}"));
        String id = job("{\"url\":\"%s\",\"interval\":\"1s\"}".formatted(upstream.url("/same")));

        await("three polls").atMost(WAIT).until(() -> stats(id).get("polls").asLong() >= 3);

        assertThat(versions(id)).hasSize(1);
        assertThat(stats(id).get("changes").asLong()).isEqualTo(1);
        JsonNode polls = alice.get("/api/v1/jobs/" + id + "/polls").json().get("items");
        assertThat(polls.get(0).get("outcome").asString()).isEqualTo("unchanged");
        assertThat(polls.get(0).get("count").asInt()).isGreaterThanOrEqualTo(2);
        assertThat(polls.get(0).get("httpStatus").asInt()).isEqualTo(200);
        assertThat(polls.get(1).get("outcome").asString()).isEqualTo("changed");
        assertThat(polls.get(1).get("versionId").asString()).isEqualTo(versions(id).get(0).get("id").asString());
        assertThat(alice.get("/api/v1/jobs/" + id).json().get("lastOutcome").asString()).isEqualTo("unchanged");
    }

    @Test
    void aThenBThenAStoresThreeVersionsAndTwoBodiesAndDiffsAsJsonPatch() {
        List<String> bodies = List.of("{\"v\":\"A\",\"n\":1}", "{\"v\":\"B\",\"n\":1}", "{\"v\":\"A\",\"n\":1}");
        upstream.route("/aba", n -> Answer.json(bodies.get(Math.min(n, 2))));
        String id = job("{\"url\":\"%s\",\"interval\":\"1s\"}".formatted(upstream.url("/aba")));

        await("three versions").atMost(WAIT).until(() -> versions(id).size() == 3);

        Integer stored = jdbc.sql("SELECT count(*) FROM bodies").query(Integer.class).single();
        assertThat(stored).isEqualTo(2);
        List<JsonNode> versions = versions(id);
        assertThat(versions.get(0).get("hash").asString()).isEqualTo(versions.get(2).get("hash").asString());
        String newest = versions.get(0).get("id").asString();
        JsonNode diff = alice.get("/api/v1/jobs/" + id + "/versions/" + newest + "/diff").json();
        assertThat(diff.get("format").asString()).isEqualTo("json-patch");
        assertThat(diff.get("patch").toString()).contains("replace").contains("/v").contains("\"A\"");
        assertThat(diff.has("diff")).isFalse();
        Api.Response latest = alice.get("/api/v1/jobs/" + id + "/latest");
        assertThat(latest.contentType()).startsWith("application/json");
        assertThat(latest.body()).isEqualTo(bodies.get(2));
    }

    @Test
    void ignoredPathsDoNotMakeAVersionButOtherFieldsDo() {
        AtomicInteger price = new AtomicInteger(1);
        upstream.route("/ticker", n -> Answer.json("{\"price\":%d,\"serverTime\":%d}".formatted(price.get(), n)));
        String id = job("""
                {"url":"%s","interval":"1s","dedup":{"mode":"json","ignorePaths":["$.serverTime"]}}
                """.formatted(upstream.url("/ticker")));

        await().atMost(WAIT).until(() -> stats(id).get("polls").asLong() >= 3);
        assertThat(versions(id)).hasSize(1);

        price.set(2);
        await("a version for the price change").atMost(WAIT).until(() -> versions(id).size() == 2);
    }

    @Test
    void anETagIsSentBackAndA304IsNotModified() {
        upstream.route("/etag", n -> n == 0
                ? Answer.json("{\"a\":1}").withHeader("ETag", "\"v1\"")
                : new Answer(304, "application/json", "", java.util.Map.of(), 0));
        String id = job("{\"url\":\"%s\",\"interval\":\"1s\"}".formatted(upstream.url("/etag")));

        await().atMost(WAIT).until(() -> stats(id).get("polls").asLong() >= 2);

        assertThat(upstream.requests("/etag").get(1).headers().getFirst("If-None-Match")).isEqualTo("\"v1\"");
        assertThat(alice.get("/api/v1/jobs/" + id).json().get("lastOutcome").asString()).isEqualTo("not_modified");
        assertThat(versions(id)).hasSize(1);
    }

    @Test
    void aFailingUpstreamIsRetriedThenTheFailedPollLeavesADeadLetter() {
        upstream.route("/down", n -> Answer.status(500));
        String id = job("""
                {"url":"%s","interval":"1h","retry":{"maxAttempts":2,"backoff":"10ms","maxBackoff":"20ms"}}
                """.formatted(upstream.url("/down")));

        await().atMost(WAIT).until(() -> stats(id).get("failures").asLong() == 1);

        JsonNode poll = alice.get("/api/v1/jobs/" + id + "/polls").json().get("items").get(0);
        assertThat(poll.get("outcome").asString()).isEqualTo("failed");
        assertThat(poll.get("attempts").asInt()).isEqualTo(2);
        assertThat(poll.get("httpStatus").asInt()).isEqualTo(500);
        assertThat(poll.get("error").asString()).contains("500");
        assertThat(upstream.requests("/down")).hasSize(2);
        assertThat(stats(id).get("consecutiveFailures").asInt()).isEqualTo(1);
        Integer deadLetters = jdbc.sql("SELECT count(*) FROM dead_letters WHERE type = 'poll' AND job_id = CAST(:id AS UUID)")
                .param("id", id).query(Integer.class).single();
        assertThat(deadLetters).isEqualTo(1);
        assertThat(versions(id)).isEmpty();
    }

    @Test
    void aSlowUpstreamTimesOut() {
        upstream.route("/slow", n -> Answer.json("{}").after(3000));
        String id = job("""
                {"url":"%s","interval":"1h","timeout":"200ms","retry":{"maxAttempts":1}}
                """.formatted(upstream.url("/slow")));

        await().atMost(WAIT).until(() -> stats(id).get("failures").asLong() == 1);
        assertThat(lastPoll(id).get("error").asString()).contains("timed out");
    }

    @Test
    void a429WithRetryAfterIsHonouredAndThenSucceeds() {
        upstream.route("/busy", n -> n == 0 ? Answer.status(429).withHeader("Retry-After", "1") : Answer.json("{\"ok\":true}"));
        String id = job("""
                {"url":"%s","interval":"1h","retry":{"maxAttempts":3,"backoff":"10ms","maxBackoff":"5s"}}
                """.formatted(upstream.url("/busy")));

        await().atMost(WAIT).until(() -> stats(id).get("changes").asLong() == 1);
        JsonNode poll = lastPoll(id);
        assertThat(poll.get("attempts").asInt()).isEqualTo(2);
        assertThat(poll.get("durationMs").asLong()).isGreaterThanOrEqualTo(1000);
    }

    @Test
    void anOversizeBodyFailsCleanly() {
        upstream.route("/big", n -> Answer.text("x".repeat(100 * 1024)));
        String id = job("{\"url\":\"%s\",\"interval\":\"1h\"}".formatted(upstream.url("/big")));

        await().atMost(WAIT).until(() -> stats(id).get("failures").asLong() == 1);
        assertThat(lastPoll(id).get("error").asString()).contains("larger than");
        assertThat(lastPoll(id).get("attempts").asInt()).isEqualTo(1);
    }

    @Test
    void garbageWhereJsonWasPromisedIsStoredAsItCame() {
        upstream.route("/garbage", n -> new Answer(200, "application/json", "{not json at all", java.util.Map.of(), 0));
        String id = job("{\"url\":\"%s\",\"interval\":\"1h\"}".formatted(upstream.url("/garbage")));

        await().atMost(WAIT).until(() -> versions(id).size() == 1);
        assertThat(alice.get("/api/v1/jobs/" + id + "/latest").body()).isEqualTo("{not json at all");
    }

    @Test
    void textBodiesDiffAsUnifiedDiffs() {
        upstream.route("/text", n -> Answer.text(n == 0 ? "line one\nline two\n" : "line one\nline 2\n"));
        String id = job("{\"url\":\"%s\",\"interval\":\"1s\"}".formatted(upstream.url("/text")));

        await().atMost(WAIT).until(() -> versions(id).size() == 2);
        String newest = versions(id).get(0).get("id").asString();
        JsonNode diff = alice.get("/api/v1/jobs/" + id + "/versions/" + newest + "/diff").json();
        assertThat(diff.get("format").asString()).isEqualTo("unified");
        assertThat(diff.get("diff").asString()).contains("-line two").contains("+line 2");
        assertThat(diff.has("patch")).isFalse();
    }

    @Test
    void runNowPollsAStoppedJobOnceWhileItsScheduleStaysStopped() {
        upstream.route("/manual", n -> Answer.json("{\"n\":" + n + "}"));
        String id = job("{\"url\":\"%s\",\"interval\":\"1s\",\"active\":false}".formatted(upstream.url("/manual")));

        assertThat(alice.post("/api/v1/jobs/" + id + "/run").status()).isEqualTo(202);

        await().atMost(WAIT).until(() -> stats(id).get("polls").asLong() == 1);
        assertThat(alice.get("/api/v1/jobs/" + id).json().get("status").asString()).isEqualTo("stopped");
        assertThat(upstream.requests("/manual")).hasSize(1);
    }

    @Test
    void aFloodOfRunNowsPollsAtMostOncePerMinimumInterval() {
        upstream.route("/flood", n -> Answer.json("{\"n\":1}"));
        String id = job("{\"url\":\"%s\",\"interval\":\"1h\",\"active\":false}".formatted(upstream.url("/flood")));

        long started = System.nanoTime();
        for (int i = 0; i < 300; i++) {
            assertThat(alice.post("/api/v1/jobs/" + id + "/run").status()).isEqualTo(202);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        await("the last requested run").atMost(WAIT).until(() -> upstream.requests("/flood").size() >= 1
                && (alice.get("/api/v1/jobs/" + id).json().path("nextRunAt").isNull()
                || alice.get("/api/v1/jobs/" + id).json().path("nextRunAt").isMissingNode()));
        // pollster.min-interval is 1s: one poll at once, then one per second of requests at most, and one after them
        assertThat(upstream.requests("/flood")).as("polls for 300 run-nows over %.1f s", seconds)
                .hasSizeLessThanOrEqualTo((int) Math.ceil(seconds) + 2);
    }

    @Test
    void anEditedJobIsPolledAsEditedFromTheNextPoll() {
        upstream.route("/before", n -> Answer.json("{\"v\":1}"));
        upstream.route("/after", n -> Answer.json("{\"v\":2}"));
        String id = job("{\"url\":\"%s\",\"interval\":\"1s\",\"headers\":{\"X-Edition\":\"1\"}}".formatted(upstream.url("/before")));
        await("a poll of the first definition").atMost(WAIT).until(() -> !upstream.requests("/before").isEmpty());

        assertThat(alice.patch("/api/v1/jobs/" + id, "{\"url\":\"%s\",\"headers\":{\"X-Edition\":\"2\"}}"
                .formatted(upstream.url("/after"))).status()).isEqualTo(200);

        await("a poll of the edited definition").atMost(WAIT).until(() -> !upstream.requests("/after").isEmpty());
        assertThat(upstream.requests("/after").getFirst().headers().getFirst("X-Edition")).isEqualTo("2");
        int before = upstream.requests("/before").size();
        // one poll of a job at a time: once the edited definition has been polled twice more, every
        // task fired before the edit has long been polled
        await("two more polls of the edited definition").atMost(WAIT).until(() -> upstream.requests("/after").size() >= 3);
        assertThat(upstream.requests("/before")).as("no poll of the old URL after the edit").hasSize(before);
        assertThat(upstream.requests("/after")).extracting(r -> r.headers().getFirst("X-Edition")).containsOnly("2");
    }

    @Test
    void secretHeadersReachTheUpstreamButNeverTheAnswers() {
        upstream.route("/auth", n -> Answer.json("{}"));
        String id = job("""
                {"url":"%s","interval":"1h","secretHeaders":{"Authorization":"Bearer top-secret"},"headers":{"Accept":"application/json"}}
                """.formatted(upstream.url("/auth")));

        await().atMost(WAIT).until(() -> !upstream.requests("/auth").isEmpty());
        assertThat(upstream.requests("/auth").getFirst().headers().getFirst("Authorization")).isEqualTo("Bearer top-secret");
        assertThat(alice.get("/api/v1/jobs/" + id).body()).doesNotContain("top-secret");
    }

    @Test
    void secretsCopiedFromAnotherJobFailThePollCleanlyAndAreNeverSent() {
        upstream.route("/a", n -> Answer.json("{}"));
        upstream.route("/b", n -> Answer.json("{}"));
        String a = job("""
                {"url":"%s","interval":"1h","secretHeaders":{"Authorization":"Bearer a-secret"}}
                """.formatted(upstream.url("/a")));
        String b = job("""
                {"url":"%s","interval":"1h","active":false,"secretHeaders":{"Authorization":"Bearer b-secret"}}
                """.formatted(upstream.url("/b")));
        jdbc.sql("UPDATE jobs SET secret_headers = (SELECT secret_headers FROM jobs WHERE id = CAST(:a AS UUID)) WHERE id = CAST(:b AS UUID)")
                .param("a", a).param("b", b).update();

        assertThat(alice.post("/api/v1/jobs/" + b + "/run").status()).isEqualTo(202);

        await().atMost(WAIT).until(() -> stats(b).get("failures").asLong() == 1);
        JsonNode poll = lastPoll(b);
        assertThat(poll.get("outcome").asString()).isEqualTo("failed");
        assertThat(poll.get("attempts").asInt()).isZero();
        assertThat(poll.get("error").asString()).contains("secret headers cannot be decrypted").doesNotContain("Exception");
        assertThat(upstream.requests("/b")).as("no request without the job's own secrets").isEmpty();
        Integer deadLetters = jdbc.sql("SELECT count(*) FROM dead_letters WHERE type = 'poll' AND job_id = CAST(:id AS UUID)")
                .param("id", b).query(Integer.class).single();
        assertThat(deadLetters).isEqualTo(1);
        await().atMost(WAIT).until(() -> !upstream.requests("/a").isEmpty());
        assertThat(upstream.requests("/a").getFirst().headers().getFirst("Authorization")).isEqualTo("Bearer a-secret");
    }

    @Test
    void aSecretNeverFollowsTheUrlToAnotherOrigin() {
        try (StubUpstream elsewhere = new StubUpstream()) {
            upstream.route("/api", n -> Answer.json("{\"n\":" + n + "}"));
            elsewhere.route("/api", n -> Answer.json("{\"n\":" + n + "}"));
            String id = job("""
                    {"url":"%s","interval":"1h","secretHeaders":{"Authorization":"Bearer top-secret"}}
                    """.formatted(upstream.url("/api")));
            await().atMost(WAIT).until(() -> !upstream.requests("/api").isEmpty());

            assertThat(alice.patch("/api/v1/jobs/" + id, "{\"url\":\"%s\"}".formatted(upstream.url("/api?v=2"))).status())
                    .as("same origin, another path: the secret stays").isEqualTo(200);
            Api.Response moved = alice.patch("/api/v1/jobs/" + id, "{\"url\":\"%s\"}".formatted(elsewhere.url("/api")));
            Api.Response masked = alice.patch("/api/v1/jobs/" + id, """
                    {"url":"%s","secretHeaders":{"Authorization":"***"}}""".formatted(elsewhere.url("/api")));
            assertThat(moved.status()).isEqualTo(400);
            assertThat(moved.json().get("errors").get(0).get("field").asString()).isEqualTo("secretHeaders.Authorization");
            assertThat(moved.json().get("errors").get(0).get("message").asString()).contains("another origin");
            assertThat(masked.status()).isEqualTo(400);

            assertThat(alice.patch("/api/v1/jobs/" + id, "{\"url\":\"%s\",\"secretHeaders\":null}"
                    .formatted(elsewhere.url("/api"))).status()).as("dropping them is fine").isEqualTo(200);
            alice.post("/api/v1/jobs/" + id + "/run");
            await().atMost(WAIT).until(() -> elsewhere.requests("/api").size() == 1);
            assertThat(alice.patch("/api/v1/jobs/" + id, "{\"secretHeaders\":{\"Authorization\":\"Bearer for-elsewhere\"}}")
                    .status()).as("and so is giving new ones").isEqualTo(200);
            alice.post("/api/v1/jobs/" + id + "/run");
            await().atMost(WAIT).until(() -> elsewhere.requests("/api").size() == 2);

            assertThat(elsewhere.requests("/api")).extracting(r -> r.headers().getFirst("Authorization"))
                    .containsExactly(null, "Bearer for-elsewhere");
        }
    }

    @Test
    void aChangeBeyondTheOwnersStorageQuotaIsNotStoredAndTheFailureSaysWhy() {
        String me = alice.get("/api/v1/me").json().get("id").asString();
        admin().patch("/api/v1/users/" + me, "{\"quota\":{\"storedBytes\":50}}");
        upstream.route("/growing", n -> Answer.json("{\"n\":\"" + "x".repeat(10 * (n + 1)) + "\"}"));
        String id = job("{\"url\":\"%s\",\"interval\":\"1s\",\"retry\":{\"maxAttempts\":1}}".formatted(upstream.url("/growing")));

        await().atMost(WAIT).until(() -> stats(id).get("failures").asLong() >= 1);

        assertThat(versions(id)).hasSize(2);
        assertThat(lastPoll(id).get("error").asString()).contains("storage quota");
        assertThat(alice.get("/api/v1/me").json().get("usage").get("storedBytes").asLong()).isEqualTo(18 + 28);
        alice.delete("/api/v1/jobs/" + id);
        assertThat(alice.get("/api/v1/me").json().get("usage").get("storedBytes").asLong()).as("freed with the job").isZero();
    }

    @Test
    void anotherUsersVersionsAre404() {
        upstream.route("/mine", n -> Answer.json("{}"));
        String id = job("{\"url\":\"%s\",\"interval\":\"1h\"}".formatted(upstream.url("/mine")));
        await().atMost(WAIT).until(() -> versions(id).size() == 1);
        Api bob = api().as(createUser("bob"));
        String versionId = versions(id).get(0).get("id").asString();

        assertThat(bob.get("/api/v1/jobs/" + id + "/versions").status()).isEqualTo(404);
        assertThat(bob.get("/api/v1/jobs/" + id + "/versions/" + versionId + "/content").status()).isEqualTo(404);
        assertThat(bob.get("/api/v1/jobs/" + id + "/latest").status()).isEqualTo(404);
        assertThat(bob.get("/api/v1/jobs/" + id + "/polls").status()).isEqualTo(404);
        assertThat(admin().get("/api/v1/jobs/" + id + "/versions").status()).isEqualTo(200);
    }

    @Test
    void adaptiveJobsShortenAfterAChangeAndStretchWhileNothingChanges() {
        upstream.route("/adaptive", n -> Answer.json("{}"));
        String id = job("""
                {"url":"%s","interval":"2s","adaptive":{"min":"1s","max":"10s"}}
                """.formatted(upstream.url("/adaptive")));

        await().atMost(WAIT).until(() -> stats(id).get("polls").asLong() >= 1);
        assertThat(alice.get("/api/v1/jobs/" + id).json().get("effectiveInterval").asString()).isEqualTo("PT1S");
        await().atMost(WAIT).until(() -> stats(id).get("polls").asLong() >= 2);
        assertThat(alice.get("/api/v1/jobs/" + id).json().get("effectiveInterval").asString()).isEqualTo("PT1.5S");
    }

    @Test
    void retentionKeepsTheNewestVersionsAndDropsUnusedBodies() {
        upstream.route("/counter", n -> Answer.json("{\"n\":" + n + "}"));
        String id = job("{\"url\":\"%s\",\"interval\":\"1s\"}".formatted(upstream.url("/counter")));
        await().atMost(WAIT).until(() -> versions(id).size() >= 5);
        alice.post("/api/v1/jobs/" + id + "/stop");

        retention.prune();

        assertThat(versions(id)).hasSize(3);
        Integer bodies = jdbc.sql("SELECT count(*) FROM bodies").query(Integer.class).single();
        assertThat(bodies).isEqualTo(3);
    }

    @Test
    void pollMetricsAreExported() {
        upstream.route("/metrics", n -> Answer.json("{}"));
        String id = job("{\"url\":\"%s\",\"interval\":\"1s\"}".formatted(upstream.url("/metrics")));
        await().atMost(WAIT).until(() -> stats(id).get("polls").asLong() >= 2);

        String metrics = api().get("/actuator/prometheus").body();

        assertThat(metrics).contains("pollster_polls_total{", "outcome=\"changed\"", "pollster_poll_duration_seconds_bucket",
                "pollster_schedule_lag_seconds_bucket", "pollster_versions_total", "pollster_upstream_requests_total{");
    }

    String job(String body) {
        Api.Response created = alice.post("/api/v1/jobs", body);
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        return created.json().get("id").asString();
    }

    private JsonNode stats(String id) {
        return alice.get("/api/v1/jobs/" + id).json().get("stats");
    }

    private JsonNode lastPoll(String id) {
        return alice.get("/api/v1/jobs/" + id + "/polls").json().get("items").get(0);
    }

    private List<JsonNode> versions(String id) {
        return alice.get("/api/v1/jobs/" + id + "/versions").json().get("items").valueStream().toList();
    }
}
