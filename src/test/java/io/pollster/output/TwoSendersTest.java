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
 * Two Pollster processes on one database, both sending deliveries: an output's rate holds for
 * the two together (a limiter per process would let through twice as much), and its events still
 * arrive in order.
 */
class TwoSendersTest {

    private static final String ADMIN = "two-senders-admin-token-0123456789";
    private static final Duration PER = Duration.ofSeconds(4);

    private final StubUpstream upstream = new StubUpstream();
    private final StubUpstream receiver = new StubUpstream();
    private final TestDatabase db = TestDatabase.get().sibling("twosenders");

    @AfterEach
    void stopStubs() {
        upstream.close();
        receiver.close();
    }

    @Test
    void aRateOfTwoPerFourSecondsHoldsAcrossTwoProcesses() throws Exception {
        upstream.route("/ticker", n -> Answer.json("{\"n\":" + n + "}"));
        receiver.route("/hook", n -> Answer.status(200));
        Map<String, String> env = PollsterProcess.sharedEnv(db, ADMIN, "POLLSTER_OUTPUTS_POLL_INTERVAL", "50ms");
        Path base = TestDirs.newDir("two-senders-");

        try (PollsterProcess first = PollsterProcess.start(base.resolve("first"), env);
             PollsterProcess second = PollsterProcess.start(base.resolve("second"), env)) {
            first.awaitReady(Duration.ofSeconds(180));
            second.awaitReady(Duration.ofSeconds(180));
            Api admin = first.api().as(ADMIN);
            Api alice = first.api().as(admin.post("/api/v1/users", "{\"name\":\"alice\"}").json().get("token").asString());
            Api.Response created = alice.post("/api/v1/jobs", """
                    {"url":"%s","interval":"1s","outputs":[{"type":"webhook","url":"%s","rate":{"limit":2,"per":"4s"}}]}
                    """.formatted(upstream.url("/ticker"), receiver.url("/hook")));
            assertThat(created.status()).as(created.toString()).isEqualTo(201);

            await("six deliveries, sent by both processes, the events piling up meanwhile").atMost(Duration.ofSeconds(60))
                    .until(() -> receiver.requests("/hook").size() >= 6
                            && first.counter("pollster_deliveries_total") > 0 && second.counter("pollster_deliveries_total") > 0);
            assertThat(db.scalar("SELECT count(*) FROM deliveries WHERE state = 'pending'")).as("a backlog the rate holds back")
                    .isPositive();

            List<StubUpstream.Request> got = receiver.requests("/hook");
            for (int i = 2; i < got.size(); i++) {
                Duration span = Duration.ofNanos(got.get(i).receivedAt() - got.get(i - 2).receivedAt());
                assertThat(span).as("three sends within one window, the %dth", i + 1)
                        .isGreaterThanOrEqualTo(PER.minusMillis(200));
            }
            List<String> ids = got.stream().map(r -> r.headers().getFirst("webhook-id")).toList();
            assertThat(ids).as("each event once, in order").doesNotHaveDuplicates().isSorted();
            first.terminate(Duration.ofSeconds(60));
            second.terminate(Duration.ofSeconds(60));
        }
    }
}
