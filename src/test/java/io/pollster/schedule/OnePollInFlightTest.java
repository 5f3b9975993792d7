package io.pollster.schedule;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import io.pollster.support.Api;
import io.pollster.support.IntegrationTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The scheduler fires a job only when its last fire's poll is over: a due time meanwhile is
 * skipped (and shows in the poll history), a run-now waits for it, and any number of run-nows
 * coalesce into one poll. The poller's part — marking a fire done — is played here by hand.
 */
class OnePollInFlightTest extends IntegrationTest {

    @Autowired
    private Scheduler scheduler;
    @Autowired
    private JdbcClient jdbc;

    private Api alice;

    @BeforeEach
    void user() {
        alice = api().as(createUser("alice"));
    }

    @Test
    void aDueTimeWhileThePreviousPollRunsIsSkippedAndCountedInThePollHistory() {
        UUID job = job("{\"url\":\"http://h/x\",\"interval\":\"1h\"}");
        assertThat(scheduler.fireDue(100)).isEqualTo(1);
        makeDue(job);

        assertThat(scheduler.fireDue(100)).as("its first poll is still running").isZero();

        assertThat(tasks()).hasSize(1);
        assertThat(nextDue(job)).as("the schedule goes on").isAfter(Instant.now());
        await("counted on the job's open history entry").atMost(Duration.ofSeconds(10)).until(() ->
                jdbc.sql("SELECT fold_skipped FROM job_polls WHERE job_id = :id").param("id", job).query(Integer.class).single() == 1);
        JsonNode stats = alice.get("/api/v1/jobs/" + job).json().get("stats");
        assertThat(stats.get("polls").asLong()).as("a skip is not a poll").isZero();
    }

    @Test
    void onceThePollIsDoneTheNextDueTimeFires() {
        UUID job = job("{\"url\":\"http://h/x\",\"interval\":\"1h\"}");
        scheduler.fireDue(100);
        markLastFireDone(job);
        makeDue(job);

        assertThat(scheduler.fireDue(100)).isEqualTo(1);

        List<PollTask> tasks = tasks();
        assertThat(tasks).hasSize(2);
        assertThat(tasks.get(1).firedAt()).as("each fire has its own stamp").isAfter(tasks.get(0).firedAt());
    }

    @Test
    void aFloodOfRunNowsWhileAPollRunsWaitsForItAndThenCostsOnePoll() {
        UUID job = job("{\"url\":\"http://h/x\",\"interval\":\"1h\"}");
        scheduler.fireDue(100);
        Instant nextDue = nextDue(job);

        for (int i = 0; i < 50; i++) {
            assertThat(alice.post("/api/v1/jobs/" + job + "/run").status()).isEqualTo(202);
        }
        assertThat(scheduler.fireDue(100)).as("the first poll still runs").isZero();
        markLastFireDone(job);

        await("the requested run fires once the poll is over").atMost(Duration.ofSeconds(10))
                .until(() -> scheduler.fireDue(100) == 1);
        assertThat(tasks()).hasSize(2);
        assertThat(tasks().get(1).manual()).isTrue();
        assertThat(nextDue(job)).as("the schedule is untouched").isEqualTo(nextDue);
        assertThat(scheduler.fireDue(100)).as("fifty requests, one run").isZero();
    }

    @Test
    void aStoppedJobRunsOnceOnRequestAndStaysStopped() {
        UUID job = job("{\"url\":\"http://h/x\",\"interval\":\"1m\",\"active\":false}");

        alice.post("/api/v1/jobs/" + job + "/run");
        assertThat(scheduler.fireDue(100)).isEqualTo(1);

        assertThat(tasks()).singleElement().satisfies(task -> assertThat(task.manual()).isTrue());
        assertThat(jdbc.sql("SELECT count(*) FROM job_schedules WHERE job_id = :id AND next_run_at IS NULL AND NOT run_requested")
                .param("id", job).query(Integer.class).single()).isEqualTo(1);
        assertThat(alice.get("/api/v1/jobs/" + job).json().get("status").asString()).isEqualTo("stopped");
        assertThat(scheduler.fireDue(100)).isZero();
    }

    @Test
    void aFireWhosePollWasLostHoldsTheJobBackNoLongerThanTheLimit() {
        UUID job = job("{\"url\":\"http://h/x\",\"interval\":\"1h\"}");
        scheduler.fireDue(100);
        jdbc.sql("UPDATE job_schedules SET fired_at = fired_at - INTERVAL '32 minutes' WHERE job_id = :id").param("id", job).update();
        makeDue(job);

        assertThat(scheduler.fireDue(100)).as("30m limit and a minute's margin have passed").isEqualTo(1);
    }

    @Test
    void stoppingAndStartingAJobDoesNotAddAPollBesideTheOneInFlight() {
        UUID job = job("{\"url\":\"http://h/x\",\"interval\":\"1h\"}");
        scheduler.fireDue(100);

        for (int i = 0; i < 3; i++) {
            assertThat(alice.post("/api/v1/jobs/" + job + "/stop").status()).isEqualTo(200);
            assertThat(alice.post("/api/v1/jobs/" + job + "/start").status()).isEqualTo(200);
            assertThat(scheduler.fireDue(100)).as("the first poll still runs").isZero();
        }
        assertThat(tasks()).hasSize(1);

        markLastFireDone(job);
        alice.post("/api/v1/jobs/" + job + "/stop");
        alice.post("/api/v1/jobs/" + job + "/start");
        assertThat(scheduler.fireDue(100)).as("started with no poll in flight, it fires at once").isEqualTo(1);
    }

    private UUID job(String body) {
        Api.Response created = alice.post("/api/v1/jobs", body);
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        return UUID.fromString(created.json().get("id").asString());
    }

    private void makeDue(UUID job) {
        jdbc.sql("UPDATE job_schedules SET next_due_at = now() - INTERVAL '1 second', next_run_at = now() - INTERVAL '1 second' "
                + "WHERE job_id = :id").param("id", job).update();
    }

    /** What the poller's record does when the poll of the job's last fire is over. */
    private void markLastFireDone(UUID job) {
        jdbc.sql("UPDATE job_polls SET done_fire_at = (SELECT fired_at FROM job_schedules WHERE job_id = :id) WHERE job_id = :id")
                .param("id", job).update();
    }

    private Instant nextDue(UUID job) {
        return jdbc.sql("SELECT next_due_at FROM job_schedules WHERE job_id = :id").param("id", job)
                .query(Timestamp.class).single().toInstant();
    }

    private List<PollTask> tasks() {
        return jdbc.sql("SELECT payload FROM queue_tasks ORDER BY id").query((rs, n) -> PollTask.decode(rs.getBytes(1))).list();
    }
}
