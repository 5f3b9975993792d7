package io.pollster.schedule;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pollster.support.Api;
import io.pollster.support.IntegrationTest;
import io.pollster.system.PollsterProperties;
import io.pollster.transport.Transport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;

class SchedulerTest extends IntegrationTest {

    @Autowired
    private Scheduler scheduler;
    @Autowired
    private JdbcClient jdbc;
    @Autowired
    private JobSchedules schedules;
    @Autowired
    private Transport transport;
    @Autowired
    private TransactionTemplate tx;
    @Autowired
    private PollTimeLimit limit;
    @Autowired
    private ApplicationEventPublisher events;
    @Autowired
    private PollsterProperties properties;

    private Api alice;

    @BeforeEach
    void user() {
        alice = api().as(createUser("alice"));
    }

    @Test
    void aDueJobFiresOnceAndMovesToItsNextDueTime() {
        String id = alice.post("/api/v1/jobs", "{\"url\":\"http://h/x\",\"interval\":\"1h\"}").json().get("id").asString();
        Instant due = nextDue(id);

        assertThat(scheduler.fireDue(100)).isEqualTo(1);
        assertThat(scheduler.fireDue(100)).isZero();

        assertThat(tasks()).extracting(PollTask::jobId).containsExactly(UUID.fromString(id));
        assertThat(nextDue(id)).isEqualTo(due.plus(Duration.ofHours(1)));
    }

    @Test
    void anIdleSchedulerKnowsWhenTheNextJobRunsAndThatNothingDoesWithoutJobs() {
        assertThat(schedules.nextRunAt()).as("no job: nothing to wait for, and no error").isEmpty();

        String id = alice.post("/api/v1/jobs", "{\"url\":\"http://h/x\",\"interval\":\"1h\"}").json().get("id").asString();

        Instant runAt = jdbc.sql("SELECT next_run_at FROM job_schedules WHERE job_id = :id").param("id", UUID.fromString(id))
                .query(Timestamp.class).single().toInstant();
        assertThat(schedules.nextRunAt()).contains(runAt);

        alice.post("/api/v1/jobs/" + id + "/stop");
        assertThat(schedules.nextRunAt()).as("a stopped job's row has no run time").isEmpty();
    }

    @Test
    void aStoppedJobIsNeverFired() {
        String id = alice.post("/api/v1/jobs", "{\"url\":\"http://h/x\",\"interval\":\"1s\"}").json().get("id").asString();
        alice.post("/api/v1/jobs/" + id + "/stop");

        assertThat(scheduler.fireDue(100)).isZero();
        assertThat(tasks()).isEmpty();
    }

    @Test
    void afterDowntimeMissedFiresCollapseIntoOneCatchUpFire() {
        String id = alice.post("/api/v1/jobs", "{\"url\":\"http://h/x\",\"interval\":\"1m\"}").json().get("id").asString();
        Instant longAgo = Instant.parse("2026-06-01T07:00:00Z");
        jdbc.sql("UPDATE job_schedules SET next_due_at = :t, next_run_at = :t").param("t", Timestamp.from(longAgo)).update();
        // five hours and twenty seconds of downtime, on a clock of the test's own
        Scheduler later = schedulerAt(longAgo.plus(Duration.ofHours(5)).plusSeconds(20));

        assertThat(later.fireDue(100)).isEqualTo(1);
        assertThat(later.fireDue(100)).isZero();

        assertThat(tasks()).singleElement().satisfies(task -> assertThat(task.dueAt()).isEqualTo(longAgo));
        assertThat(nextDue(id)).as("the first grid time after now, not 300 catch-up fires")
                .isEqualTo(longAgo.plus(Duration.ofHours(5)).plus(Duration.ofMinutes(1)));
    }

    @Test
    void aJobWhoseScheduleCannotGoOnIsStoppedAndDoesNotBlockTheOthers() {
        String good = alice.post("/api/v1/jobs", "{\"url\":\"http://h/x\",\"interval\":\"1h\"}").json().get("id").asString();
        UUID owner = jdbc.sql("SELECT id FROM users").query(UUID.class).single();
        UUID broken = UUID.randomUUID();
        jdbc.sql("""
                WITH job AS (
                    INSERT INTO jobs (id, owner_id, spec, status, created_at, updated_at)
                    VALUES (:id, :owner, '{"url":"http://h/x","cron":"0 0 30 2 *"}', 'ACTIVE', now(), now())
                )
                INSERT INTO job_schedules (job_id, cron, jitter_ms, next_due_at, next_run_at)
                VALUES (:id, '0 0 30 2 *', 0, now() - interval '1 hour', now() - interval '1 hour')
                """).param("id", broken).param("owner", owner).update();
        jdbc.sql("INSERT INTO job_polls (job_id) VALUES (:id)").param("id", broken).update();

        assertThat(scheduler.fireDue(100)).isEqualTo(1);

        assertThat(tasks()).extracting(PollTask::jobId).containsExactly(UUID.fromString(good));
        assertThat(jdbc.sql("SELECT status FROM jobs WHERE id = :id").param("id", broken).query(String.class).single())
                .isEqualTo("STOPPED");
        assertThat(jdbc.sql("SELECT count(*) FROM job_schedules WHERE job_id = :id AND next_run_at IS NULL").param("id", broken)
                .query(Integer.class).single()).isEqualTo(1);
        assertThat(scheduler.fireDue(100)).isZero();
    }

    @Test
    void aRequestedRunFiresNoSoonerThanTheMinimumIntervalAfterTheJobsLastFire() {
        String id = alice.post("/api/v1/jobs", "{\"url\":\"http://h/x\",\"interval\":\"1h\"}").json().get("id").asString();
        UUID job = UUID.fromString(id);
        Instant first = Instant.now().truncatedTo(ChronoUnit.MICROS);
        assertThat(schedulerAt(first).fireDue(100)).isEqualTo(1);
        // its poll is over at once, as a fast upstream's would be
        jdbc.sql("UPDATE job_polls SET done_fire_at = (SELECT fired_at FROM job_schedules WHERE job_id = :id) WHERE job_id = :id")
                .param("id", job).update();

        for (int i = 0; i < 20; i++) {
            assertThat(alice.post("/api/v1/jobs/" + id + "/run").status()).isEqualTo(202);
        }
        assertThat(schedulerAt(first.plusMillis(900)).fireDue(100)).as("within pollster.min-interval (1s) of the last fire").isZero();
        assertThat(schedulerAt(first.plusMillis(1_001)).fireDue(100)).as("the requests make one poll").isEqualTo(1);
        assertThat(schedulerAt(first.plusMillis(1_500)).fireDue(100)).as("and only one").isZero();
        assertThat(tasks()).hasSize(2);
        assertThat(tasks().getLast().manual()).isTrue();
    }

    /** A scheduler like the application's, on a clock stopped at {@code now}. */
    private Scheduler schedulerAt(Instant now) {
        return new Scheduler(schedules, transport, tx, Clock.fixed(now, ZoneOffset.UTC), limit, events, new SimpleMeterRegistry(),
                properties);
    }

    private Instant nextDue(String id) {
        return jdbc.sql("SELECT next_due_at FROM job_schedules WHERE job_id = :id").param("id", UUID.fromString(id))
                .query(Timestamp.class).single().toInstant();
    }

    private List<PollTask> tasks() {
        return jdbc.sql("SELECT payload FROM queue_tasks ORDER BY id").query((rs, n) -> PollTask.decode(rs.getBytes(1))).list();
    }
}
