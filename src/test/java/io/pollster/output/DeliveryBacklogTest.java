package io.pollster.output;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

import io.pollster.poll.Retention;
import io.pollster.support.Api;
import io.pollster.support.PipelineTest;
import io.pollster.support.StubUpstream;
import io.pollster.support.StubUpstream.Answer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A receiver slower than its job's events (here a rate of one a day) keeps at most
 * {@code pollster.outputs.max-pending} deliveries waiting, and so their events: the oldest waiting
 * ones are dropped as one counted dead letter, the rest still arrive in order, and another user's
 * lane is not touched.
 */
class DeliveryBacklogTest extends PipelineTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int MAX_PENDING = 5;
    private static final int FROZEN = 1_000_000;

    private final StubUpstream receiver = new StubUpstream();

    @Autowired
    private JdbcClient jdbc;
    @Autowired
    private Retention retention;
    @Autowired
    private EventLog events;
    @Autowired
    private TransactionTemplate tx;

    @DynamicPropertySource
    static void outputs(DynamicPropertyRegistry registry) {
        registry.add("pollster.min-interval", () -> "100ms");
        registry.add("pollster.outputs.poll-interval", () -> "50ms");
        registry.add("pollster.outputs.max-pending", () -> Integer.toString(MAX_PENDING));
        registry.add("pollster.retention.interval", () -> "1h"); // the test prunes when it needs to
    }

    @AfterEach
    void stopReceiver() {
        receiver.close();
    }

    @Test
    void aRateOfOneADayKeepsAtMostMaxPendingWaitingAndTheKeptOnesStillArriveInOrder() {
        Api alice = api().as(createUser("alice"));
        Api bob = api().as(createUser("bob"));
        receiver.route("/alice", n -> Answer.status(200));
        receiver.route("/bob", n -> Answer.status(200));
        AtomicBoolean aliceFrozen = new AtomicBoolean();
        upstream.route("/alice-counter", n -> Answer.json("{\"n\":" + (aliceFrozen.get() ? FROZEN : n) + "}"));
        AtomicBoolean bobFrozen = new AtomicBoolean();
        upstream.route("/bob-counter", n -> Answer.json("{\"n\":" + (bobFrozen.get() ? FROZEN : n) + "}"));
        String aliceJob = job(alice, "/alice-counter", "/alice");
        String bobJob = job(bob, "/bob-counter", "/bob");

        // bob's few events wait within the bound; alice's pile up far beyond it
        await("bob's events").atMost(WAIT).until(() -> items(bob, bobJob).size() >= 3);
        bobFrozen.set(true);
        await("bob's job changes no more").atMost(WAIT).until(() -> newestValue(bob, bobJob) == FROZEN);
        await("alice's events pile up").atMost(WAIT).until(() -> items(alice, aliceJob).size() >= 3 * MAX_PENDING);
        aliceFrozen.set(true);
        await("alice's job changes no more").atMost(WAIT).until(() -> newestValue(alice, aliceJob) == FROZEN);
        alice.post("/api/v1/jobs/" + aliceJob + "/stop");
        bob.post("/api/v1/jobs/" + bobJob + "/stop");

        List<String> alicePending = pending(alice, aliceJob);
        List<String> bobPending = pending(bob, bobJob);
        assertThat(alicePending).hasSizeGreaterThan(2 * MAX_PENDING);
        assertThat(bobPending).hasSizeBetween(1, MAX_PENDING);
        String head = alicePending.getFirst(); // armed, due when the rate allows again (tomorrow)

        retention.prune();

        List<String> kept = pending(alice, aliceJob);
        assertThat(kept).hasSize(MAX_PENDING);
        assertThat(kept.getFirst()).as("the armed head is never dropped").isEqualTo(head);
        assertThat(kept.subList(1, MAX_PENDING)).as("the newest waiting ones are kept")
                .isEqualTo(alicePending.subList(alicePending.size() - (MAX_PENDING - 1), alicePending.size()));
        assertThat(items(alice, aliceJob)).as("the dropped ones' events are pruned like delivered ones").hasSize(MAX_PENDING);
        JsonNode letter = onlyLetter(alice);
        int dropped = alicePending.size() - MAX_PENDING;
        assertThat(letter.get("jobId").asString()).isEqualTo(aliceJob);
        assertThat(letter.get("count").asInt()).isEqualTo(dropped);
        assertThat(letter.get("error").asString()).startsWith("dropped:").contains("more than 5 deliveries were waiting for output 0");
        assertThat(letter.get("payload").get("dropped").asInt()).isEqualTo(dropped);
        assertThat(letter.get("payload").get("newestEventId").asString())
                .isEqualTo(alicePending.get(alicePending.size() - MAX_PENDING));
        Api.Response replay = alice.post("/api/v1/dead-letters/" + letter.get("id").asString() + "/replay");
        assertThat(replay.status()).isEqualTo(409);
        assertThat(replay.body()).contains("max-pending");

        assertThat(pending(bob, bobJob)).as("another user's lane is untouched").isEqualTo(bobPending);
        assertThat(bob.get("/api/v1/dead-letters").json().get("items")).isEmpty();

        // more events of the same lane later: the same dead letter counts them
        for (int n = 0; n < 3; n++) {
            tx.executeWithoutResult(s -> events.append(UUID.fromString(aliceJob), EventType.JOB_STALE, Instant.now(),
                    JSON.createObjectNode()));
        }
        List<String> grown = pending(alice, aliceJob);
        retention.prune();
        List<String> keptLater = pending(alice, aliceJob);
        assertThat(keptLater).hasSize(MAX_PENDING).startsWith(head)
                .endsWith(grown.subList(grown.size() - (MAX_PENDING - 1), grown.size()).toArray(String[]::new));
        assertThat(onlyLetter(alice).get("count").asInt()).isEqualTo(dropped + 3);

        // the user lifts the rate and the day is up: the kept ones are sent, in order
        JsonNode outputs = alice.get("/api/v1/jobs/" + aliceJob).json().get("outputs");
        Api.Response saved = alice.patch("/api/v1/jobs/" + aliceJob, """
                {"outputs":[{"type":"webhook","url":"%s","secret":"***"}]}""".formatted(outputs.get(0).get("url").asString()));
        assertThat(saved.status()).as(saved.body()).isEqualTo(200);
        jdbc.sql("UPDATE deliveries SET next_attempt_at = now() WHERE state = 'pending' AND next_attempt_at <> 'infinity'").update();
        await("the kept deliveries arrive").atMost(WAIT).until(() -> receiver.requests("/alice").size() == 1 + MAX_PENDING);
        List<String> sent = receiver.requests("/alice").stream().skip(1).map(r -> r.headers().getFirst("webhook-id")).toList();
        assertThat(sent).isEqualTo(keptLater);
        assertThat(receiver.requests("/bob")).as("bob's rate still holds his").hasSize(1);
    }

    private String job(Api user, String upstreamPath, String receiverPath) {
        Api.Response created = user.post("/api/v1/jobs", """
                {"url":"%s","interval":"100ms","outputs":[{"type":"webhook","url":"%s","rate":{"limit":1,"per":"1d"}}]}
                """.formatted(upstream.url(upstreamPath), receiver.url(receiverPath)));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return created.json().get("id").asString();
    }

    private static List<JsonNode> items(Api user, String job) {
        return user.get("/api/v1/jobs/" + job + "/events?limit=1000").json().get("items").valueStream().toList();
    }

    /** The ids of the job's events whose delivery is pending, oldest first. */
    private static List<String> pending(Api user, String job) {
        return items(user, job).stream()
                .filter(e -> e.get("deliveries").get(0).get("state").asString().equals("pending"))
                .map(e -> e.get("id").asString())
                .toList();
    }

    /** The value the job's newest version changed {@code n} to (0 before the first change). */
    private static long newestValue(Api user, String job) {
        List<JsonNode> all = items(user, job);
        JsonNode patch = all.isEmpty() ? null : all.getLast().get("data").get("patch");
        return patch == null ? 0 : patch.get(0).get("value").asLong();
    }

    private static JsonNode onlyLetter(Api user) {
        JsonNode letters = user.get("/api/v1/dead-letters?type=delivery").json().get("items");
        assertThat(letters).hasSize(1);
        return letters.get(0);
    }
}
