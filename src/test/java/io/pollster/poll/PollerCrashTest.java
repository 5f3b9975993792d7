package io.pollster.poll;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.pollster.support.Api;
import io.pollster.support.PollsterProcess;
import io.pollster.support.StubUpstream;
import io.pollster.support.StubUpstream.Answer;
import io.pollster.support.TestDatabase;
import io.pollster.support.TestDirs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A Pollster killed with SIGKILL in the middle of polling, then started again: nothing is lost or doubled. */
class PollerCrashTest {

    private static final int JOBS = 100;
    private static final String ADMIN = "crash-test-admin-token-0123456789";

    private final StubUpstream upstream = new StubUpstream();
    private final TestDatabase db = TestDatabase.get().sibling("crash");
    private final Path dataDir = TestDirs.newDir("crash-").resolve("data");

    @AfterEach
    void stopUpstream() {
        upstream.close();
    }

    @Test
    void aKilledPollerLosesNoJobKeepsTheScheduleAndStoresNoDuplicateVersion() throws Exception {
        // each body changes every 2 s, so versions keep being written while the process is killed
        for (int i = 0; i < JOBS; i++) {
            int job = i;
            upstream.route("/job/" + i, n -> Answer.json("{\"job\":%d,\"epoch\":%d}".formatted(job, System.currentTimeMillis() / 2000)));
        }
        Map<String, String> env = PollsterProcess.sharedEnv(db, ADMIN, "POLLSTER_POLLER_VISIBILITY_TIMEOUT", "5s");

        List<String> ids = new ArrayList<>();
        try (PollsterProcess first = PollsterProcess.start(dataDir, env).awaitReady(Duration.ofSeconds(180))) {
            Api alice = first.api().as(user(first.api().as(ADMIN)));
            for (int i = 0; i < JOBS; i++) {
                Api.Response created = alice.post("/api/v1/jobs",
                        "{\"url\":\"%s\",\"interval\":\"1s\"}".formatted(upstream.url("/job/" + i)));
                assertThat(created.status()).as(created.toString()).isEqualTo(201);
                ids.add(created.json().get("id").asString());
            }
            await("load on the first process").atMost(Duration.ofSeconds(60))
                    .until(() -> db.scalar("SELECT coalesce(sum(polls), 0) FROM job_polls") >= 3L * JOBS);
            first.kill();
        }
        Instant restart = Instant.now();

        try (PollsterProcess second = PollsterProcess.start(dataDir, env).awaitReady(Duration.ofSeconds(180))) {
            await("every job to be polled again after the restart").atMost(Duration.ofSeconds(60))
                    .until(() -> db.scalar("SELECT count(*) FROM job_polls WHERE last_run_at > '" + restart + "'") == JOBS);
            await("tasks claimed by the killed process to be redelivered and done").atMost(Duration.ofSeconds(60))
                    .until(() -> db.scalar("SELECT count(*) FROM queue_tasks WHERE enqueued_at < '" + restart + "'") == 0);
            second.terminate(Duration.ofSeconds(60));
        }

        assertThat(db.scalar("SELECT count(*) FROM jobs")).isEqualTo(JOBS);
        assertThat(db.scalar("SELECT count(*) FROM jobs j JOIN job_schedules s ON s.job_id = j.id WHERE j.status = 'ACTIVE' AND s.next_run_at IS NOT NULL")).isEqualTo(JOBS);
        assertThat(db.scalar("""
                SELECT count(*) FROM (
                    SELECT hash, lag(hash) OVER (PARTITION BY job_id ORDER BY id) AS previous FROM versions) v
                WHERE hash = previous
                """)).as("versions equal to the one before them").isZero();
        assertThat(db.scalar("SELECT count(DISTINCT job_id) FROM versions")).isEqualTo(JOBS);
        assertThat(db.scalar("SELECT count(*) FROM dead_letters")).isZero();
    }

    private static String user(Api admin) {
        Api.Response created = admin.post("/api/v1/users", "{\"name\":\"alice\"}");
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        return created.json().get("token").asString();
    }
}
