package io.pollster.schedule;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import io.pollster.support.Api;
import io.pollster.support.IntegrationTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

class SchedulerTest extends IntegrationTest {

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
    void aDueJobFiresOnceAndMovesToItsNextDueTime() {
        String id = alice.post("/api/v1/jobs", "{\"url\":\"http://h/x\",\"interval\":\"1h\"}").json().get("id").asString();
        Instant due = nextDue(id);

        assertThat(scheduler.fireDue(100)).isEqualTo(1);
        assertThat(scheduler.fireDue(100)).isZero();

        assertThat(tasks()).extracting(PollTask::jobId).containsExactly(UUID.fromString(id));
        assertThat(nextDue(id)).isEqualTo(due.plus(Duration.ofHours(1)));
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
        Instant longAgo = Instant.now().minus(Duration.ofHours(5)).truncatedTo(ChronoUnit.SECONDS);
        jdbc.sql("UPDATE jobs SET next_due_at = :t, next_run_at = :t").param("t", Timestamp.from(longAgo)).update();

        assertThat(scheduler.fireDue(100)).isEqualTo(1);
        assertThat(scheduler.fireDue(100)).isZero();

        Instant next = nextDue(id);
        assertThat(next).isAfter(Instant.now().minusSeconds(1)).isBefore(Instant.now().plus(Duration.ofMinutes(1)));
        assertThat(Duration.between(longAgo, next).toSeconds() % 60).isZero();
    }

    @Test
    void aJobWhoseScheduleCannotGoOnIsStoppedAndDoesNotBlockTheOthers() {
        String good = alice.post("/api/v1/jobs", "{\"url\":\"http://h/x\",\"interval\":\"1h\"}").json().get("id").asString();
        UUID owner = jdbc.sql("SELECT id FROM users").query(UUID.class).single();
        UUID broken = UUID.randomUUID();
        jdbc.sql("""
                INSERT INTO jobs (id, owner_id, spec, status, cron, jitter_ms, next_due_at, next_run_at, created_at, updated_at)
                VALUES (:id, :owner, '{"url":"http://h/x","cron":"0 0 30 2 *"}', 'ACTIVE', '0 0 30 2 *', 0,
                        now() - interval '1 hour', now() - interval '1 hour', now(), now())
                """).param("id", broken).param("owner", owner).update();

        assertThat(scheduler.fireDue(100)).isEqualTo(1);

        assertThat(tasks()).extracting(PollTask::jobId).containsExactly(UUID.fromString(good));
        assertThat(jdbc.sql("SELECT status FROM jobs WHERE id = :id").param("id", broken).query(String.class).single())
                .isEqualTo("STOPPED");
        assertThat(scheduler.fireDue(100)).isZero();
    }

    @Test
    void twoSchedulersFireEveryDueTimeOfEveryJobExactlyOnce() throws Exception {
        int jobs = 500;
        Instant start = Instant.now().plusSeconds(1).truncatedTo(ChronoUnit.SECONDS);
        insertJobs(jobs, start);
        Duration run = Duration.ofSeconds(10);

        try (ExecutorService schedulers = Executors.newFixedThreadPool(2)) {
            List<Future<?>> loops = new ArrayList<>();
            Instant end = start.plus(run);
            for (int i = 0; i < 2; i++) {
                loops.add(schedulers.submit(() -> {
                    while (Instant.now().isBefore(end)) {
                        if (scheduler.fireDue(200) == 0) {
                            TimeUnit.MILLISECONDS.sleep(20); // the scheduler's own idle wait
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> loop : loops) {
                loop.get(run.toSeconds() + 30, TimeUnit.SECONDS);
            }
        }

        Map<UUID, List<Instant>> firesByJob = tasks().stream()
                .collect(Collectors.groupingBy(PollTask::jobId, Collectors.mapping(PollTask::dueAt, Collectors.toList())));
        assertThat(firesByJob).hasSize(jobs);
        firesByJob.forEach((job, dues) -> {
            assertThat(dues).as("due times of %s", job).doesNotHaveDuplicates();
            List<Instant> sorted = dues.stream().sorted().toList();
            assertThat(sorted.getFirst()).isEqualTo(start);
            for (int i = 1; i < sorted.size(); i++) {
                assertThat(Duration.between(sorted.get(i - 1), sorted.get(i))).as("gap in %s", job).isEqualTo(Duration.ofSeconds(1));
            }
            assertThat(sorted.size()).as("fires of %s", job).isBetween(9, 11);
        });
    }

    private void insertJobs(int count, Instant firstDue) {
        UUID owner = jdbc.sql("SELECT id FROM users").query(UUID.class).single();
        jdbc.sql("""
                INSERT INTO jobs (id, owner_id, spec, status, interval_ms, jitter_ms, next_due_at, next_run_at, created_at, updated_at)
                SELECT gen_random_uuid(), :owner, '{"url":"http://h/x","interval":"PT1S"}', 'ACTIVE', 1000, 0, :due, :due, now(), now()
                FROM generate_series(1, :count)
                """).param("owner", owner).param("due", Timestamp.from(firstDue)).param("count", count).update();
    }

    private Instant nextDue(String id) {
        return jdbc.sql("SELECT next_due_at FROM jobs WHERE id = :id").param("id", UUID.fromString(id))
                .query(Timestamp.class).single().toInstant();
    }

    private List<PollTask> tasks() {
        return jdbc.sql("SELECT payload FROM queue_tasks ORDER BY id").query((rs, n) -> PollTask.decode(rs.getBytes(1))).list();
    }
}
