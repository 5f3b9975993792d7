package io.pollster.output;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import com.standardwebhooks.Webhook;
import io.pollster.support.Api;
import io.pollster.support.PipelineTest;
import io.pollster.support.StubUpstream;
import io.pollster.support.StubUpstream.Answer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Changes leave Pollster as signed webhooks: polled for real from a loopback upstream, delivered
 * to a loopback receiver, signatures checked by the official Standard Webhooks library.
 */
class WebhookOutputTest extends PipelineTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final StubUpstream receiver = new StubUpstream();

    @Autowired
    private JdbcClient jdbc;
    @Autowired
    private io.pollster.poll.Retention retention;
    @Autowired
    private EventLog events;
    @Autowired
    private org.springframework.transaction.support.TransactionTemplate tx;

    private Api alice;

    @DynamicPropertySource
    static void outputs(DynamicPropertyRegistry registry) {
        registry.add("pollster.min-interval", () -> "100ms");
        registry.add("pollster.outputs.poll-interval", () -> "50ms");
        registry.add("pollster.stale.check-interval", () -> "100ms");
    }

    @BeforeEach
    void user() {
        alice = api().as(createUser("alice"));
    }

    @org.junit.jupiter.api.AfterEach
    void stopReceiver() {
        receiver.close();
    }

    @Test
    void aChangeArrivesSignedSoThatTheOfficialVerifierAcceptsItAndTheSecretIsShownOnce() throws Exception {
        upstream.route("/price", n -> Answer.json("{\"price\":" + (n < 2 ? 1 : 2) + "}"));
        receiver.route("/hook", n -> Answer.status(204));
        Api.Response created = alice.post("/api/v1/jobs", """
                {"url":"%s","interval":"100ms","outputs":[{"type":"webhook","url":"%s"}]}
                """.formatted(upstream.url("/price"), receiver.url("/hook")));
        assertThat(created.status()).isEqualTo(201);
        String id = created.json().get("id").asString();
        String secret = created.json().get("outputs").get(0).get("secret").asString();
        assertThat(secret).startsWith("whsec_");
        assertThat(alice.get("/api/v1/jobs/" + id).json().get("outputs").get(0).get("secret").asString()).isEqualTo("***");

        await("two versions delivered").atMost(WAIT).until(() -> receiver.requests("/hook").size() >= 2);

        Webhook verifier = new Webhook(secret);
        for (StubUpstream.Request request : receiver.requests("/hook")) {
            verifier.verify(request.bodyText(), headers(request));
            assertThat(request.headers().getFirst("Content-Type")).isEqualTo("application/json");
        }
        JsonNode second = JSON.readTree(receiver.requests("/hook").get(1).bodyText());
        assertThat(second.get("type").asString()).isEqualTo("version.created");
        assertThat(second.get("jobId").asString()).isEqualTo(id);
        assertThat(second.get("id").asString()).isEqualTo(receiver.requests("/hook").get(1).headers().getFirst("webhook-id"));
        assertThat(second.get("data").get("patch").toString()).contains("replace").contains("/price");
        assertThat(second.get("data").get("previousHash").asString())
                .isEqualTo(JSON.readTree(receiver.requests("/hook").get(0).bodyText()).get("data").get("hash").asString());

        Map<String, List<String>> forged = headers(receiver.requests("/hook").get(1));
        forged.put("webhook-signature", List.of("v1," + java.util.Base64.getEncoder().encodeToString(new byte[32])));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> verifier.verify(receiver.requests("/hook").get(1).bodyText(), forged))
                .isInstanceOf(com.standardwebhooks.exceptions.WebhookVerificationException.class);

        JsonNode events = alice.get("/api/v1/jobs/" + id + "/events").json().get("items");
        assertThat(events.get(0).get("type").asString()).isEqualTo("version.created");
        JsonNode delivery = events.get(0).get("deliveries").get(0);
        assertThat(delivery.get("state").asString()).isEqualTo("delivered");
        assertThat(delivery.get("attempts").asInt()).isEqualTo(1);
        assertThat(delivery.get("lastStatus").asInt()).isEqualTo(204);
    }

    @Test
    void twentyQuickChangesArriveInTheOrderTheyHappenedThoughTheReceiverFailsNowAndThen() {
        upstream.route("/counter", n -> Answer.json("{\"n\":" + n + "}"));
        // every third request fails once: retries must not let a later event overtake
        receiver.route("/ordered", n -> n % 3 == 1 ? Answer.status(503) : Answer.status(200));
        String id = job("""
                {"url":"%s","interval":"100ms","outputs":[{"type":"webhook","url":"%s",
                 "retry":{"maxAttempts":5,"backoff":"100ms","maxBackoff":"200ms"}}]}
                """.formatted(upstream.url("/counter"), receiver.url("/ordered")));

        await("twenty deliveries").atMost(WAIT).until(() -> delivered("/ordered").size() >= 20);
        alice.post("/api/v1/jobs/" + id + "/stop");

        List<Long> seen = new ArrayList<>();
        for (JsonNode event : delivered("/ordered")) {
            JsonNode patch = event.get("data").get("patch");
            seen.add(patch == null ? -1 : patch.get(0).get("value").asLong());
        }
        assertThat(seen).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void whileTheReceiverIsDownEventsWaitAndThenAllArriveInOrder() {
        upstream.route("/stream", n -> Answer.json("{\"n\":" + n + "}"));
        AtomicInteger up = new AtomicInteger();
        receiver.route("/outage", n -> up.get() == 1 ? Answer.status(200) : Answer.status(502));
        String id = job("""
                {"url":"%s","interval":"100ms","outputs":[{"type":"webhook","url":"%s",
                 "retry":{"maxAttempts":20,"backoff":"100ms","maxBackoff":"300ms"}}]}
                """.formatted(upstream.url("/stream"), receiver.url("/outage")));

        await("events pile up while the receiver is down").atMost(WAIT).until(() -> types(id).size() >= 8);
        up.set(1);
        alice.post("/api/v1/jobs/" + id + "/stop");
        int events = types(id).size();

        await("every event delivered").atMost(WAIT).until(() -> alice.get("/api/v1/jobs/" + id + "/events?limit=1000").json()
                .get("items").valueStream().allMatch(e -> e.get("deliveries").get(0).get("state").asString().equals("delivered")));
        List<String> ids = receiver.requests("/outage").stream()
                .filter(r -> r.headers().getFirst("webhook-id") != null)
                .map(r -> r.headers().getFirst("webhook-id")).distinct().toList();
        assertThat(ids).hasSizeGreaterThanOrEqualTo(events).isSorted();
    }

    @Test
    void twoFailuresThenSuccessIsOneDeliveryWithTheSameIdEachTime() {
        upstream.route("/once", n -> Answer.json("{\"a\":1}"));
        receiver.route("/flaky", n -> n < 2 ? Answer.status(503) : Answer.status(200));
        String id = job("""
                {"url":"%s","interval":"1h","outputs":[{"type":"webhook","url":"%s",
                 "retry":{"maxAttempts":5,"backoff":"100ms","maxBackoff":"1s"}}]}
                """.formatted(upstream.url("/once"), receiver.url("/flaky")));

        await().atMost(WAIT).until(() -> delivery(id, 0).get("state").asString().equals("delivered"));

        List<StubUpstream.Request> tries = receiver.requests("/flaky");
        assertThat(tries).hasSize(3);
        assertThat(tries).extracting(r -> r.headers().getFirst("webhook-id")).containsOnly(tries.get(0).headers().getFirst("webhook-id"));
        assertThat(delivery(id, 0).get("attempts").asInt()).isEqualTo(3);
    }

    @Test
    void onlyA2xxIsSuccessA304IsRetried() {
        upstream.route("/nm", n -> Answer.json("{\"a\":1}"));
        receiver.route("/nm-hook", n -> n == 0 ? new Answer(304, "application/json", "", Map.of(), 0) : Answer.status(200));
        String id = job("""
                {"url":"%s","interval":"1h","outputs":[{"type":"webhook","url":"%s",
                 "retry":{"maxAttempts":3,"backoff":"100ms","maxBackoff":"1s"}}]}
                """.formatted(upstream.url("/nm"), receiver.url("/nm-hook")));

        await().atMost(WAIT).until(() -> delivery(id, 0).get("state").asString().equals("delivered"));
        assertThat(delivery(id, 0).get("attempts").asInt()).isEqualTo(2);
        assertThat(receiver.requests("/nm-hook")).hasSize(2);
    }

    @Test
    void retryAfterIsHonoured() {
        upstream.route("/later", n -> Answer.json("{\"a\":1}"));
        receiver.route("/busy", n -> n == 0 ? Answer.status(429).withHeader("Retry-After", "1") : Answer.status(200));
        String id = job("""
                {"url":"%s","interval":"1h","outputs":[{"type":"webhook","url":"%s",
                 "retry":{"maxAttempts":3,"backoff":"100ms","maxBackoff":"5s"}}]}
                """.formatted(upstream.url("/later"), receiver.url("/busy")));

        await().atMost(WAIT).until(() -> delivery(id, 0).get("state").asString().equals("delivered"));

        List<StubUpstream.Request> tries = receiver.requests("/busy");
        assertThat(Duration.ofNanos(tries.get(1).receivedAt() - tries.get(0).receivedAt())).isGreaterThanOrEqualTo(Duration.ofMillis(950));
    }

    @Test
    void a410StopsTheOutputUntilItIsSavedAgain() {
        AtomicInteger version = new AtomicInteger(1);
        upstream.route("/gone", n -> Answer.json("{\"v\":" + version.get() + "}"));
        receiver.route("/unsubscribed", n -> n == 0 ? Answer.status(410) : Answer.status(200));
        String id = job("""
                {"url":"%s","interval":"100ms","outputs":[{"type":"webhook","url":"%s"}]}
                """.formatted(upstream.url("/gone"), receiver.url("/unsubscribed")));

        await().atMost(WAIT).until(() -> delivery(id, 0).get("state").asString().equals("failed"));
        assertThat(delivery(id, 0).get("lastError").asString()).contains("410");

        version.set(2);
        await("the next version").atMost(WAIT).until(() -> alice.get("/api/v1/jobs/" + id + "/events").json().get("items").size() == 2);
        JsonNode later = alice.get("/api/v1/jobs/" + id + "/events").json().get("items").get(1);
        assertThat(later.get("deliveries")).isEmpty();
        assertThat(receiver.requests("/unsubscribed")).hasSize(1);

        JsonNode job = alice.get("/api/v1/jobs/" + id).json();
        assertThat(job.get("stoppedOutputs").get(0).get("output").asInt()).isZero();
        assertThat(job.get("stoppedOutputs").get(0).get("reason").asString()).contains("410 Gone");
        Api.Response saved = alice.patch("/api/v1/jobs/" + id, "{\"outputs\":" + job.get("outputs") + "}");
        assertThat(saved.status()).isEqualTo(200);
        assertThat(saved.json().get("stoppedOutputs")).isEmpty();
        version.set(3);
        await("delivered again once saved").atMost(WAIT).until(() -> receiver.requests("/unsubscribed").size() == 2);
    }

    @Test
    void theLastFailedAttemptIsADeadLetterWhoseReplayDelivers() {
        upstream.route("/dead", n -> Answer.json("{\"a\":1}"));
        AtomicInteger healthy = new AtomicInteger();
        receiver.route("/down", n -> healthy.get() == 1 ? Answer.status(200) : Answer.status(500));
        String id = job("""
                {"url":"%s","interval":"1h","outputs":[{"type":"webhook","url":"%s",
                 "retry":{"maxAttempts":2,"backoff":"100ms","maxBackoff":"100ms"}}]}
                """.formatted(upstream.url("/dead"), receiver.url("/down")));

        await().atMost(WAIT).until(() -> delivery(id, 0).get("state").asString().equals("failed"));
        JsonNode letters = alice.get("/api/v1/dead-letters?type=delivery").json().get("items");
        assertThat(letters).hasSize(1);
        assertThat(letters.get(0).get("error").asString()).contains("500").contains("2 attempts");
        assertThat(receiver.requests("/down")).hasSize(2);

        healthy.set(1);
        assertThat(alice.post("/api/v1/dead-letters/" + letters.get(0).get("id").asString() + "/replay").status()).isIn(200, 202, 204);
        await().atMost(WAIT).until(() -> delivery(id, 0).get("state").asString().equals("delivered"));
        assertThat(receiver.requests("/down")).hasSize(3);
    }

    @Test
    void aStreakOfFailuresIsReportedOnceAndTheRecoveryAfterIt() {
        upstream.route("/wobbly", n -> n < 4 ? Answer.status(500) : Answer.json("{\"ok\":true}"));
        String id = job("""
                {"url":"%s","interval":"100ms","alertAfterFailures":2,"retry":{"maxAttempts":1}}
                """.formatted(upstream.url("/wobbly")));

        await().atMost(WAIT).until(() -> types(id).contains("poll.recovered"));
        alice.post("/api/v1/jobs/" + id + "/stop");

        assertThat(types(id)).containsExactly("poll.failed", "version.created", "poll.recovered");
        JsonNode failed = alice.get("/api/v1/jobs/" + id + "/events").json().get("items").get(0);
        assertThat(failed.get("data").get("consecutiveFailures").asInt()).isEqualTo(2);
        assertThat(failed.get("data").get("httpStatus").asInt()).isEqualTo(500);
    }

    @Test
    void pendingDeliveriesShowAsAQueueAndOldEventsArePrunedOnceDelivered() {
        upstream.route("/kept", n -> Answer.json("{\"n\":" + n + "}"));
        receiver.route("/slowly", n -> Answer.status(503));
        String id = job("""
                {"url":"%s","interval":"100ms","outputs":[{"type":"webhook","url":"%s",
                 "retry":{"maxAttempts":20,"backoff":"1h","maxBackoff":"1h"}}]}
                """.formatted(upstream.url("/kept"), receiver.url("/slowly")));
        await().atMost(WAIT).until(() -> types(id).size() >= 5);
        alice.post("/api/v1/jobs/" + id + "/stop");

        // a poll in flight at the stop may still add its event: the queue shows every event's delivery once it settles
        await("one pending delivery per event").atMost(WAIT)
                .until(() -> deliveriesQueue().get("depth").asLong() == types(id).size());
        assertThat(deliveriesQueue().get("oldestAgeMs").asLong()).isPositive();

        // retention keeps 3 versions here; events whose deliveries are pending stay all the same
        retention.prune();
        assertThat(types(id)).hasSizeGreaterThanOrEqualTo(5);
        jdbc.sql("UPDATE deliveries SET state = 'delivered'").update();
        retention.prune();
        assertThat(types(id)).hasSize(3);
    }

    private JsonNode deliveriesQueue() {
        JsonNode queues = admin().get("/api/v1/cluster").json().get("queues");
        return queues.valueStream().filter(q -> q.get("name").asString().equals("deliveries")).findFirst().orElseThrow();
    }

    @Test
    void aJobQuietPastExpectChangeWithinIsReportedStaleOncePerQuietSpell() throws Exception {
        AtomicInteger content = new AtomicInteger(1);
        upstream.route("/quiet", n -> Answer.json("{\"v\":" + content.get() + "}"));
        String id = job("""
                {"url":"%s","interval":"100ms","expectChangeWithin":"1s"}
                """.formatted(upstream.url("/quiet")));

        assertThat(alice.get("/api/v1/jobs/" + id).json().get("stale").asBoolean()).isFalse();
        await("reported stale").atMost(WAIT).until(() -> types(id).contains("job.stale"));
        assertThat(alice.get("/api/v1/jobs/" + id).json().get("stale").asBoolean()).as("stale on the job too").isTrue();
        Thread.sleep(1_500); // quiet on: the same spell, not reported again
        assertThat(types(id)).containsExactly("version.created", "job.stale");
        JsonNode stale = alice.get("/api/v1/jobs/" + id + "/events").json().get("items").get(1);
        assertThat(stale.get("data").get("expectChangeWithin").asString()).isEqualTo("PT1S");

        content.set(2);
        await("a change, then a new quiet spell").atMost(WAIT)
                .until(() -> types(id).equals(List.of("version.created", "job.stale", "version.created", "job.stale")));
        alice.post("/api/v1/jobs/" + id + "/stop");
        assertThat(alice.post("/api/v1/jobs", """
                {"url":"%s","interval":"1h","expectChangeWithin":"500ms"}
                """.formatted(upstream.url("/quiet"))).body()).contains("expectChangeWithin");
    }

    @Test
    void aLaneWhoseHeadWasLeftUnarmedByARaceIsArmedAndSent() {
        upstream.route("/unarmed", n -> Answer.json("{\"a\":1}"));
        receiver.route("/armed", n -> Answer.status(200));
        String id = job("""
                {"url":"%s","interval":"1h","active":false,"outputs":[{"type":"webhook","url":"%s"}]}
                """.formatted(upstream.url("/unarmed"), receiver.url("/armed")));
        // as when a new delivery is made while its lane's head finishes in another transaction
        tx.executeWithoutResult(s -> events.append(java.util.UUID.fromString(id), EventType.JOB_STALE, java.time.Instant.now(),
                JSON.createObjectNode()));
        jdbc.sql("UPDATE deliveries SET next_attempt_at = 'infinity' WHERE job_id = CAST(:id AS UUID)").param("id", id).update();

        await("armed by the stall check and sent").atMost(WAIT).until(() -> receiver.requests("/armed").size() == 1);
    }

    @Test
    void badOutputsAreRefusedNamingTheFieldAndNothingIsSaved() {
        String url = upstream.url("/x");
        Map<String, String> cases = Map.of(
                "[{\"type\":\"webhook\",\"url\":\"" + url + "\",\"secret\":\"plain\"}]", "outputs[0].secret",
                "[{\"type\":\"webhook\",\"url\":\"" + url + "\",\"rate\":{\"limit\":0,\"per\":\"1m\"}}]", "outputs[0].rate.limit",
                "[{\"type\":\"webhook\",\"url\":\"" + url + "\",\"rate\":{\"limit\":1,\"per\":\"500ms\"}}]", "outputs[0].rate.per",
                "[{\"type\":\"pigeon\"}]", "outputs[0].type",
                "[{\"type\":\"webhook\",\"url\":\"ftp://example.com/\"}]", "outputs[0].url",
                "[{\"type\":\"webhook\",\"url\":\"" + url + "\",\"color\":\"red\"}]", "outputs[0].color",
                "[{\"type\":\"webhook\",\"url\":\"" + url + "\",\"secret\":\"***\"}]", "outputs[0].secret",
                "[" + String.join(",", java.util.Collections.nCopies(11, "{\"type\":\"webhook\",\"url\":\"" + url + "\"}")) + "]",
                "outputs");
        for (var c : cases.entrySet()) {
            Api.Response refused = alice.post("/api/v1/jobs", "{\"url\":\"%s\",\"interval\":\"1h\",\"outputs\":%s}".formatted(url, c.getKey()));
            assertThat(refused.status()).as(c.getKey()).isEqualTo(400);
            assertThat(refused.body()).as(c.getKey()).contains("\"" + c.getValue() + "\"");
        }
        assertThat(alice.get("/api/v1/jobs").json().get("items")).isEmpty();
        assertThat(jdbc.sql("SELECT count(*) FROM job_outputs").query(Long.class).single()).isZero();
    }

    @Test
    void aKeptSecretDoesNotFollowTheWebhookToAnotherOrigin() {
        String id = job("""
                {"url":"%s","interval":"1h","active":false,"outputs":[{"type":"webhook","url":"%s"}]}
                """.formatted(upstream.url("/x"), receiver.url("/first")));
        String sameOrigin = "{\"outputs\":[{\"type\":\"webhook\",\"url\":\"" + receiver.url("/second") + "\",\"secret\":\"***\"}]}";
        assertThat(alice.patch("/api/v1/jobs/" + id, sameOrigin).status()).isEqualTo(200);

        String elsewhere = "{\"outputs\":[{\"type\":\"webhook\",\"url\":\"" + upstream.url("/hook") + "\",\"secret\":\"***\"}]}";
        Api.Response refused = alice.patch("/api/v1/jobs/" + id, elsewhere);
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.body()).contains("outputs[0].secret").contains("another origin");
        assertThat(alice.get("/api/v1/jobs/" + id).json().get("outputs").get(0).get("url").asString()).isEqualTo(receiver.url("/second"));
    }

    @Test
    void anotherUserSeesNoneOfTheEvents() {
        upstream.route("/mine", n -> Answer.json("{\"a\":1}"));
        String id = job("{\"url\":\"%s\",\"interval\":\"1h\"}".formatted(upstream.url("/mine")));
        await().atMost(WAIT).until(() -> types(id).contains("version.created"));

        Api bob = api().as(createUser("bob"));
        assertThat(bob.get("/api/v1/jobs/" + id + "/events").status()).isEqualTo(404);
        assertThat(admin().get("/api/v1/jobs/" + id + "/events").status()).isEqualTo(200);
    }

    private String job(String json) {
        Api.Response created = alice.post("/api/v1/jobs", json);
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return created.json().get("id").asString();
    }

    private List<String> types(String id) {
        List<String> types = new ArrayList<>();
        alice.get("/api/v1/jobs/" + id + "/events").json().get("items").forEach(e -> types.add(e.get("type").asString()));
        return types;
    }

    private JsonNode delivery(String id, int event) {
        JsonNode items = alice.get("/api/v1/jobs/" + id + "/events").json().get("items");
        return items.size() <= event ? JSON.createObjectNode().put("state", "none") : items.get(event).get("deliveries").get(0);
    }

    /** The events the receiver answered with a 2xx, in the order it got them. */
    private List<JsonNode> delivered(String path) {
        List<JsonNode> events = new ArrayList<>();
        List<StubUpstream.Request> requests = receiver.requests(path);
        for (int n = 0; n < requests.size(); n++) {
            if (n % 3 != 1) {
                events.add(JSON.readTree(requests.get(n).bodyText()));
            }
        }
        return events;
    }

    private static Map<String, List<String>> headers(StubUpstream.Request request) {
        Map<String, List<String>> headers = new HashMap<>();
        request.headers().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), new ArrayList<>(values)));
        return headers;
    }
}
