package io.pollster.poll;

import java.nio.file.Path;
import java.time.Duration;
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

/**
 * Two Pollster processes, each scheduling and polling, and jobs whose upstream answers slower
 * than their interval: whichever process fires a job and whichever polls it, one poll of the job
 * runs at a time, and the due times meanwhile are skipped, not queued.
 */
class TwoPollersTest {

    private static final String ADMIN = "two-pollers-admin-token-0123456789";

    private final StubUpstream upstream = new StubUpstream();
    private final TestDatabase db = TestDatabase.get().sibling("twopollers");

    @AfterEach
    void stopUpstream() {
        upstream.close();
    }

    @Test
    void aSlowUpstreamIsNeverPolledTwiceAtOnceByTwoProcesses() throws Exception {
        for (String job : List.of("a", "b", "c")) {
            upstream.route("/slow/" + job, n -> Answer.json("{\"n\":" + n + "}").after(1_500));
        }
        Map<String, String> env = PollsterProcess.sharedEnv(db, ADMIN);
        Path base = TestDirs.newDir("two-pollers-");

        try (PollsterProcess first = PollsterProcess.start(base.resolve("first"), env);
             PollsterProcess second = PollsterProcess.start(base.resolve("second"), env)) {
            first.awaitReady(Duration.ofSeconds(180));
            second.awaitReady(Duration.ofSeconds(180));
            Api admin = first.api().as(ADMIN);
            Api.Response user = admin.post("/api/v1/users", "{\"name\":\"alice\"}");
            Api alice = first.api().as(user.json().get("token").asString());
            for (String job : List.of("a", "b", "c")) {
                Api.Response created = alice.post("/api/v1/jobs", "{\"url\":\"%s\",\"interval\":\"1s\"}"
                        .formatted(upstream.url("/slow/" + job)));
                assertThat(created.status()).as(created.toString()).isEqualTo(201);
            }

            await("several polls of each job, by both processes").atMost(Duration.ofSeconds(60))
                    .until(() -> db.scalar("SELECT min(polls) FROM job_polls") >= 4
                            && first.counter("pollster_polls_total") > 0 && second.counter("pollster_polls_total") > 0);

            for (String job : List.of("a", "b", "c")) {
                assertThat(upstream.mostAtOnce("/slow/" + job)).as("job " + job).isEqualTo(1);
            }
            assertThat(db.scalar("SELECT sum(fold_skipped) FROM job_polls") + db.scalar("SELECT coalesce(sum(skipped), 0) FROM polls"))
                    .as("due times skipped while a poll ran").isPositive();
            first.terminate(Duration.ofSeconds(60));
            second.terminate(Duration.ofSeconds(60));
        }
    }
}
