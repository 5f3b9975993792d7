package io.pollster.output;

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
 * The process sending a burst of deliveries is killed with SIGKILL mid-send, then started again:
 * every event still arrives, in order; the one cut short may arrive twice, with the same
 * {@code webhook-id} (at least once).
 */
class SenderCrashTest {

    private static final String ADMIN = "sender-crash-admin-token-0123456789";

    private final StubUpstream upstream = new StubUpstream();
    private final StubUpstream receiver = new StubUpstream();
    private final TestDatabase db = TestDatabase.get().sibling("sendercrash");
    private final Path dataDir = TestDirs.newDir("sender-crash-").resolve("data");

    @AfterEach
    void stopStubs() {
        upstream.close();
        receiver.close();
    }

    @Test
    void aKilledSenderLosesNoEventAndReordersNone() throws Exception {
        upstream.route("/burst", n -> Answer.json("{\"n\":" + n + "}"));
        receiver.route("/hook", n -> Answer.status(200).after(300)); // slow: a send is in flight when the kill comes
        Map<String, String> env = PollsterProcess.sharedEnv(db, ADMIN, "POLLSTER_MININTERVAL", "100ms", "POLLSTER_OUTPUTS_LEASE", "16s");

        String id;
        try (PollsterProcess first = PollsterProcess.start(dataDir, env).awaitReady(Duration.ofSeconds(180))) {
            Api admin = first.api().as(ADMIN);
            Api alice = first.api().as(admin.post("/api/v1/users", "{\"name\":\"alice\"}").json().get("token").asString());
            Api.Response created = alice.post("/api/v1/jobs", """
                    {"url":"%s","interval":"100ms","outputs":[{"type":"webhook","url":"%s"}]}
                    """.formatted(upstream.url("/burst"), receiver.url("/hook")));
            assertThat(created.status()).as(created.toString()).isEqualTo(201);
            id = created.json().get("id").asString();
            await("a few deliveries, more piling up").atMost(Duration.ofSeconds(60))
                    .until(() -> receiver.requests("/hook").size() >= 3 && db.scalar("SELECT count(*) FROM events") >= 10);
            first.kill();
        }
        // stop making events: the new process only has to send what the killed one left
        db.execute("UPDATE jobs SET status = 'STOPPED' WHERE id = '" + id + "'");
        db.execute("UPDATE job_schedules SET next_run_at = NULL WHERE job_id = '" + id + "'");
        long events = db.scalar("SELECT count(*) FROM events");

        try (PollsterProcess second = PollsterProcess.start(dataDir, env).awaitReady(Duration.ofSeconds(180))) {
            await("every event delivered").atMost(Duration.ofSeconds(90))
                    .until(() -> db.scalar("SELECT count(*) FROM deliveries WHERE state = 'delivered'") == events);
            second.terminate(Duration.ofSeconds(60));
        }
        List<String> ids = receiver.requests("/hook").stream().map(r -> r.headers().getFirst("webhook-id")).toList();
        assertThat(ids.stream().distinct().count()).isEqualTo(events);
        assertThat(ids.stream().distinct().toList()).as("first arrivals in event order").isSorted();
        assertThat(ids.size() - events).as("sent again: at most the sends cut short by the kill").isLessThanOrEqualTo(1);
    }
}
