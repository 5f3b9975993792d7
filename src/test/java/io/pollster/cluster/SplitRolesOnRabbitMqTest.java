package io.pollster.cluster;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

import io.pollster.support.Api;
import io.pollster.support.PollsterProcess;
import io.pollster.support.StubUpstream;
import io.pollster.support.StubUpstream.Answer;
import io.pollster.support.TestBroker;
import io.pollster.support.TestDatabase;
import io.pollster.support.TestDirs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Roles split over three processes talking through RabbitMQ: one with api and scheduler, two
 * pollers. 300 jobs at 1 s for 20 s; one poller is killed with SIGKILL halfway, and the tasks it
 * held go to the other. Every due time is polled, none is lost, and no version is stored twice.
 */
class SplitRolesOnRabbitMqTest {

    private static final int JOBS = 300;
    private static final String ADMIN = "split-roles-admin-token-0123456789";

    private final StubUpstream upstream = new StubUpstream();

    @AfterEach
    void stopUpstream() {
        upstream.close();
    }

    @Test
    void everyDueTimeIsPolledOnceAndAKilledPollersTasksGoToTheOther() throws Exception {
        // bodies change every 3 s, so versions keep being written while a poller dies
        for (int i = 0; i < JOBS; i++) {
            int job = i;
            upstream.route("/job/" + i, n -> Answer.json("{\"job\":%d,\"epoch\":%d}".formatted(job, System.currentTimeMillis() / 3000)));
        }
        TestDatabase db = TestDatabase.get().sibling("split");
        Map<String, String> env = PollsterProcess.sharedEnv(db, ADMIN, "POLLSTER_TRANSPORT", "rabbitmq", "SPRING_RABBITMQ_HOST", "127.0.0.1", "SPRING_RABBITMQ_VIRTUAL_HOST", TestBroker.get().vhost(), "POLLSTER_QUEUE_PREFIX", "split.");

        Instant first;
        try (PollsterProcess front = PollsterProcess.start(TestDirs.newDir("split-api-").resolve("data"), roles(env, "api,scheduler"));
             PollsterProcess pollerA = PollsterProcess.start(TestDirs.newDir("split-a-").resolve("data"), roles(env, "poller"));
             PollsterProcess pollerB = PollsterProcess.start(TestDirs.newDir("split-b-").resolve("data"), roles(env, "poller"))) {
            front.awaitReady(Duration.ofSeconds(180));
            pollerA.awaitReady(Duration.ofSeconds(180));
            pollerB.awaitReady(Duration.ofSeconds(180));
            assertThat(pollerA.api().as(ADMIN).get("/api/v1/me").status()).as("a poller serves no API").isEqualTo(404);

            Api alice = front.api().as(user(front.api().as(ADMIN)));
            for (int i = 0; i < JOBS; i++) {
                Api.Response created = alice.post("/api/v1/jobs",
                        "{\"url\":\"%s\",\"interval\":\"1s\",\"active\":false}".formatted(upstream.url("/job/" + i)));
                assertThat(created.status()).as(created.toString()).isEqualTo(201);
            }
            // every job due on the same second grid from here on; each due time the scheduler moves past
            // (due_log) and each fire it stamps (fire_log) in a committed transaction is logged by a
            // trigger, so both can be counted exactly: a due time either fires or, while the job's
            // previous poll is still in flight (around the kill), is skipped
            db.execute("""
                    CREATE TABLE due_log (job_id UUID NOT NULL, due TIMESTAMPTZ NOT NULL);
                    CREATE TABLE fire_log (job_id UUID NOT NULL, due TIMESTAMPTZ NOT NULL);
                    CREATE FUNCTION log_due() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        INSERT INTO due_log VALUES (OLD.job_id, OLD.next_due_at);
                        IF NEW.fired_at IS DISTINCT FROM OLD.fired_at THEN
                            INSERT INTO fire_log VALUES (OLD.job_id, OLD.next_due_at);
                        END IF;
                        RETURN NEW;
                    END $$;
                    CREATE TRIGGER log_due AFTER UPDATE OF next_due_at ON job_schedules FOR EACH ROW
                    WHEN (OLD.next_due_at IS NOT NULL AND OLD.next_due_at IS DISTINCT FROM NEW.next_due_at)
                    EXECUTE FUNCTION log_due();
                    """);
            first = Instant.now().plusSeconds(2).truncatedTo(ChronoUnit.SECONDS);
            db.execute("UPDATE jobs SET status = 'ACTIVE'; UPDATE job_schedules SET next_due_at = '" + first + "', next_run_at = '" + first + "'");

            await("ten due times of every job handled").atMost(Duration.ofSeconds(40))
                    .until(() -> jobsHandledUpTo(db, first.plusSeconds(9)) == JOBS);
            pollerA.kill();
            await("ten more due times of every job handled").atMost(Duration.ofSeconds(40))
                    .until(() -> jobsHandledUpTo(db, first.plusSeconds(19)) == JOBS);
            Instant last = Instant.now();
            assertThat(front.terminate(Duration.ofSeconds(60))).as("the scheduler stops, its outbox relayed").isIn(0, 143);

            assertThat(Duration.between(first.plusSeconds(19), last)).as("how late the scheduler handled the 20th due time")
                    .isLessThan(Duration.ofSeconds(3));
            assertThat(db.scalar("SELECT count(*) FROM (SELECT job_id, due FROM due_log GROUP BY 1, 2 HAVING count(*) > 1) d"))
                    .as("due times handled twice").isZero();
            assertThat(db.scalar("""
                    SELECT count(*) FROM (
                        SELECT due - lag(due) OVER (PARTITION BY job_id ORDER BY due) AS gap FROM due_log) g
                    WHERE gap <> interval '1 second'
                    """)).as("due times passed over (the scheduler fell a whole interval behind)").isZero();
            assertThat(db.scalar("SELECT count(*) FROM due_log WHERE due < '" + first.plusSeconds(20) + "'"))
                    .as("due times in the first 20 s").isEqualTo(20L * JOBS);
            Map<UUID, Long> fires = fires(db);
            long fired = fires.values().stream().mapToLong(Long::longValue).sum();
            // a due time that found the job's previous poll still in flight (queued, running, or held by
            // the killed poller until the broker handed it to the survivor) made no fire: the poll
            // history says so, every one of them
            long due = db.scalar("SELECT count(*) FROM due_log");
            assertThat(fired).as("fires in 20 s, the rest skipped").isGreaterThanOrEqualTo(8L * JOBS);
            await("every skipped due time in the poll history").atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(db.scalar("""
                            SELECT coalesce((SELECT sum(skipped) FROM polls), 0) + coalesce((SELECT sum(fold_skipped) FROM job_polls), 0)
                            """)).isEqualTo(due - fired));
            await("the surviving poller to poll every fired due time").atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
                Map<UUID, Long> polls = polls(db);
                long missing = fires.entrySet().stream().mapToLong(f -> Math.max(0, f.getValue() - polls.get(f.getKey()))).sum();
                assertThat(missing).as("fires not polled yet (%d fired, %d polled, %d in the outbox)", fired,
                        polls.values().stream().mapToLong(Long::longValue).sum(), db.scalar("SELECT count(*) FROM outbox")).isZero();
            });
            Map<UUID, Long> polls = polls(db);
            long duplicates = 0;
            for (Map.Entry<UUID, Long> job : polls.entrySet()) {
                long extra = job.getValue() - fires.get(job.getKey());
                // a fire's poll is recorded once: a redelivered task finds its fire done and is dropped
                assertThat(extra).as("polls beyond the fires of job %s", job.getKey()).isZero();
                duplicates += extra;
            }
            assertThat(duplicates).as("polls repeated after the kill").isZero();
            assertThat(pollerB.terminate(Duration.ofSeconds(60))).isIn(0, 143);
        }

        assertThat(db.scalar("""
                SELECT count(*) FROM (
                    SELECT hash, lag(hash) OVER (PARTITION BY job_id ORDER BY id) AS previous FROM versions) v
                WHERE hash = previous
                """)).as("versions equal to the one before them").isZero();
        assertThat(db.scalar("SELECT count(DISTINCT job_id) FROM versions")).isEqualTo(JOBS);
        assertThat(db.scalar("SELECT count(*) FROM dead_letters")).isZero();
        assertThat(db.scalar("SELECT count(*) FROM outbox")).isZero();
    }

    /** Jobs whose due time {@code due} (or a later one) the scheduler has handled: fired, or skipped. */
    private static long jobsHandledUpTo(TestDatabase db, Instant due) throws SQLException {
        return db.scalar("SELECT count(DISTINCT job_id) FROM due_log WHERE due >= '" + due + "'");
    }

    private static Map<String, String> roles(Map<String, String> env, String roles) {
        Map<String, String> withRoles = new HashMap<>(env);
        withRoles.put("POLLSTER_ROLES", roles);
        return withRoles;
    }

    private static Map<UUID, Long> fires(TestDatabase db) throws SQLException {
        Map<UUID, Long> fires = new HashMap<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id, (SELECT count(*) FROM fire_log f WHERE f.job_id = j.id) FROM jobs j")) {
            while (rs.next()) {
                fires.put(rs.getObject(1, UUID.class), rs.getLong(2));
            }
        }
        return fires;
    }

    private static Map<UUID, Long> polls(TestDatabase db) throws SQLException {
        Map<UUID, Long> polls = new HashMap<>();
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT job_id, polls FROM job_polls")) {
            while (rs.next()) {
                polls.put(rs.getObject(1, UUID.class), rs.getLong(2));
            }
        }
        return polls;
    }

    private static String user(Api admin) {
        Api.Response created = admin.post("/api/v1/users", "{\"name\":\"alice\"}");
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        return created.json().get("token").asString();
    }
}
