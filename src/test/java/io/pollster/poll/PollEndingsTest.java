package io.pollster.poll;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;

import io.pollster.job.JobId;
import io.pollster.schedule.PollTask;
import io.pollster.support.Api;
import io.pollster.support.PipelineTest;
import io.pollster.support.StubUpstream.Answer;
import io.pollster.transport.Transport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every poll ends — as an outcome in its job's history, with its fire marked done — however it
 * ends: a definition this release no longer accepts, a task the transport gave up on, a task that
 * waited on the queue past the poll time limit. None of them holds its job back.
 */
class PollEndingsTest extends PipelineTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Autowired
    private JdbcClient jdbc;
    @Autowired
    private Transport transport;
    @Autowired
    private TransactionTemplate tx;
    @Autowired
    private PollHistory history;

    private Api alice;

    @BeforeEach
    void user() {
        alice = api().as(createUser("alice"));
    }

    @DynamicPropertySource
    static void shortPolls(DynamicPropertyRegistry registry) {
        registry.add("pollster.poller.max-poll-time", () -> "10s");
        registry.add("pollster.poller.max-deliveries", () -> "2");
    }

    @Test
    void aJobWhoseDedupSettingsThisReleaseRefusesFailsEachPollVisiblyAndCanStillBeStopped() {
        upstream.route("/legacy", n -> Answer.json("{\"n\":1}"));
        String id = job("{\"url\":\"%s\",\"interval\":\"1s\"}".formatted(upstream.url("/legacy")));
        // what an older release accepted: a regular-expression filter (its first poll may still see the old definition)
        jdbc.sql("""
                UPDATE jobs SET spec = jsonb_set(spec, '{dedup,ignorePaths}', CAST(:paths AS JSONB)), version = version + 1
                WHERE id = CAST(:id AS UUID)""")
                .param("paths", "[\"$[?(@.s =~ /a+/)]\"]").param("id", id).update();

        await("each fire fails at once, and the next one fires").atMost(WAIT)
                .until(() -> stats(id).get("failures").asLong() >= 2);

        JsonNode poll = history(id).getFirst();
        assertThat(poll.get("error").asString()).contains("dedup settings are no longer accepted", "dedup.ignorePaths[0]",
                "PATCH");
        assertThat(poll.get("attempts").asInt()).as("nothing was sent").isZero();
        assertThat(upstream.requests("/legacy")).as("at most the first poll, before the change").hasSizeLessThanOrEqualTo(1);
        Api.Response stopped = alice.post("/api/v1/jobs/" + id + "/stop");
        assertThat(stopped.status()).as(stopped.toString()).isEqualTo(200);
        assertThat(stopped.json().get("status").asString()).isEqualTo("stopped");
    }

    @Test
    void aPollTheTransportGivesUpOnEndsAsAFailedPollAndTheJobFiresAgain() {
        upstream.route("/once", n -> Answer.json("{\"n\":1}"));
        String id = job("{\"url\":\"%s\",\"interval\":\"1s\"}".formatted(upstream.url("/once")));
        // a stored URL the poller cannot even parse: every delivery of its task throws
        jdbc.sql("UPDATE jobs SET spec = jsonb_set(spec, '{url}', '\"http://bad host/\"'), version = version + 1 "
                + "WHERE id = CAST(:id AS UUID)").param("id", id).update();

        await("two fires, each given up by the transport").atMost(WAIT).until(() -> stats(id).get("failures").asLong() >= 2);

        assertThat(history(id).getFirst().get("error").asString()).contains("bad host");
        assertThat(jdbc.sql("SELECT count(*) FROM dead_letters WHERE job_id = CAST(:id AS UUID)").param("id", id)
                .query(Integer.class).single()).as("the same failure, one dead letter").isEqualTo(1);
    }

    @Test
    void aTaskThatWaitedOnTheQueuePastThePollTimeLimitFailsWithoutARequest() {
        upstream.route("/late", n -> Answer.json("{\"n\":1}"));
        String id = job("{\"url\":\"%s\",\"interval\":\"1h\",\"active\":false}".formatted(upstream.url("/late")));
        Instant longAgo = Instant.now().minusSeconds(11).truncatedTo(ChronoUnit.MICROS);

        tx.executeWithoutResult(s -> transport.enqueue(PollTask.QUEUE,
                List.of(PollTask.fire(UUID.fromString(id), longAgo, true, longAgo).encode())));

        await().atMost(WAIT).until(() -> stats(id).get("failures").asLong() == 1);
        assertThat(history(id).getFirst().get("error").asString()).startsWith("not started within 10s of its fire");
        assertThat(upstream.requests("/late")).as("the job may have fired again meanwhile: no second poll beside it").isEmpty();
    }

    @Test
    void anOlderFireEndingAfterANewerOneLeavesTheNewerDoneMark() {
        String id = job("{\"url\":\"%s\",\"interval\":\"1h\",\"active\":false}".formatted(upstream.url("/none")));
        JobId job = new JobId(UUID.fromString(id));
        Instant older = Instant.parse("2026-01-01T00:00:00Z");
        Instant newer = older.plusSeconds(60);

        history.settle(job, newer);
        history.settle(job, older);
        assertThat(history.findPollState(job).orElseThrow().doneFireAt()).isEqualTo(newer);

        var state = history.findPollState(job).orElseThrow();
        history.record(PollRecord.unsent(state, PollTask.fire(job.value(), older, true, older), Instant.now(), "late"));
        assertThat(history.findPollState(job).orElseThrow().doneFireAt()).isEqualTo(newer);
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
}
