package io.pollster.schedule;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.pollster.support.PollsterProcess;
import io.pollster.support.TestDatabase;
import io.pollster.support.TestDirs;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Two Pollster processes scheduling one database: every due time of every job fires exactly once. */
class SchedulerClusterTest {

    private static final int JOBS = 500;

    @Test
    void twoSchedulerProcessesFireEveryDueTimeExactlyOnce() throws Exception {
        TestDatabase db = TestDatabase.get().sibling("cluster");
        Map<String, String> env = Map.of(
                "SPRING_DATASOURCE_URL", db.url(),
                "SPRING_DATASOURCE_USERNAME", db.username(),
                "SPRING_DATASOURCE_PASSWORD", db.password(),
                "POLLSTER_ADMIN_TOKEN", "cluster-test-admin-token-0123456789",
                "POLLSTER_SECRET_KEY", PollsterProcess.SECRET_KEY,
                // schedulers only: the fired tasks stay in the queue to be counted
                "POLLSTER_POLLER_ENABLED", "false",
                "POLLSTER_INGEST_ENABLED", "false");
        Instant first;
        Instant end;
        try (PollsterProcess a = PollsterProcess.start(TestDirs.newDir("cluster-a-").resolve("data"), env);
             PollsterProcess b = PollsterProcess.start(TestDirs.newDir("cluster-b-").resolve("data"), env)) {
            a.awaitReady(Duration.ofSeconds(180));
            b.awaitReady(Duration.ofSeconds(180));
            first = Instant.now().plusSeconds(2).truncatedTo(ChronoUnit.SECONDS);
            insertJobs(db, first);
            end = first.plusSeconds(10);
            // no pollers run: each fire is marked done here, as a poll does when it is over, or the
            // schedulers would skip every due time after the first while that "poll" is in flight
            await("ten seconds of fires").atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        db.execute("UPDATE job_polls p SET done_fire_at = s.fired_at FROM job_schedules s "
                                + "WHERE s.job_id = p.job_id AND p.done_fire_at IS DISTINCT FROM s.fired_at");
                        return Instant.now().isAfter(end.plusSeconds(1));
                    });
            stopJobs(db);
            a.terminate(Duration.ofSeconds(60));
            b.terminate(Duration.ofSeconds(60));
        }

        Map<UUID, List<Instant>> fires = new HashMap<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT payload FROM queue_tasks WHERE queue = 'poll'")) {
            while (rs.next()) {
                PollTask task = PollTask.decode(rs.getBytes(1));
                fires.computeIfAbsent(task.jobId(), k -> new ArrayList<>()).add(task.dueAt());
            }
        }
        assertThat(fires).hasSize(JOBS);
        fires.forEach((job, dues) -> {
            List<Instant> sorted = dues.stream().sorted().toList();
            assertThat(sorted).as("due times of %s", job).doesNotHaveDuplicates();
            assertThat(sorted.getFirst()).isEqualTo(first);
            for (int i = 1; i < sorted.size(); i++) {
                assertThat(Duration.between(sorted.get(i - 1), sorted.get(i))).as("gap in %s", job).isEqualTo(Duration.ofSeconds(1));
            }
            assertThat(sorted.size()).as("fires of %s", job).isBetween(10, 12);
        });
    }

    private static void insertJobs(TestDatabase db, Instant firstDue) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO users (id, name, token_hash, created_at) VALUES (gen_random_uuid(), 'cluster', '\\x01', now())");
            try (var insert = c.prepareStatement("""
                    WITH job AS (
                        INSERT INTO jobs (id, owner_id, spec, status, created_at, updated_at)
                        SELECT gen_random_uuid(), (SELECT id FROM users), '{"url":"http://h/x","interval":"PT1S"}', 'ACTIVE', now(), now()
                        FROM generate_series(1, ?)
                        RETURNING id
                    ), history AS (
                        INSERT INTO job_polls (job_id)
                        SELECT id FROM job
                    )
                    INSERT INTO job_schedules (job_id, interval_ms, jitter_ms, next_due_at, next_run_at)
                    SELECT id, 1000, 0, ?, ?
                    FROM job
                    """)) {
                insert.setInt(1, JOBS);
                insert.setTimestamp(2, Timestamp.from(firstDue));
                insert.setTimestamp(3, Timestamp.from(firstDue));
                insert.executeUpdate();
            }
        }
    }

    /** Stops the schedule at a due-time boundary so the count per job is exact whatever the shutdown takes. */
    private static void stopJobs(TestDatabase db) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("UPDATE jobs SET status = 'STOPPED'");
            s.execute("UPDATE job_schedules SET next_run_at = NULL, next_due_at = NULL");
        }
    }
}
