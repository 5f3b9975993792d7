package io.pollster.system;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.pollster.support.Api;
import io.pollster.support.PollsterProcess;
import io.pollster.support.StubUpstream;
import io.pollster.support.TestDirs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The whole standalone story in real processes: first start with nothing installed, a user, a
 * graceful stop that takes the embedded PostgreSQL with it, a restart, a SIGKILL, and a start
 * that must clean up what the killed process left running.
 */
class StandaloneModeTest {

    private static final Duration FIRST_START = Duration.ofSeconds(120);
    private static final Duration START = Duration.ofSeconds(60);

    private final Path dataDir = TestDirs.newDir("standalone-").resolve("data");

    @Test
    void usersSurviveARestartAndAKillFollowedByAStart() throws Exception {
        String aliceToken;
        long postgresPid;
        try (PollsterProcess first = PollsterProcess.start(dataDir, Map.of()).awaitReady(FIRST_START)) {
            Path tokenFile = dataDir.resolve("admin-token");
            String adminToken = Files.readString(tokenFile, UTF_8).strip();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile))).isEqualTo("rw-------");
            assertThat(first.log()).contains(tokenFile.toString()).doesNotContain(adminToken);

            Api.Response created = first.api().as(adminToken).post("/api/v1/users", "{\"name\":\"alice\"}");
            assertThat(created.status()).as(created.toString()).isEqualTo(201);
            aliceToken = created.json().get("token").asString();
            assertThat(first.api().post("/api/v1/users", "{\"name\":\"bob\"}").status()).isEqualTo(401);

            postgresPid = postmasterPid().orElseThrow();
            int exit = first.terminate(Duration.ofSeconds(60));

            assertThat(exit).as(first.log()).isIn(0, 143);
            assertThat(first.log()).contains("Embedded PostgreSQL stopped");
            assertThat(dataDir.resolve("postgres/postmaster.pid")).doesNotExist();
            assertThat(ProcessHandle.of(postgresPid).filter(ProcessHandle::isAlive)).isEmpty();
        }

        try (PollsterProcess second = PollsterProcess.start(dataDir, Map.of()).awaitReady(START)) {
            assertThat(second.api().as(aliceToken).get("/api/v1/me").json().get("name").asString()).isEqualTo("alice");
            postgresPid = postmasterPid().orElseThrow();
            second.kill();
            assertThat(ProcessHandle.of(postgresPid).filter(ProcessHandle::isAlive))
                    .as("a SIGKILLed JVM leaves its PostgreSQL running").isPresent();
        }

        try (PollsterProcess third = PollsterProcess.start(dataDir, Map.of()).awaitReady(START)) {
            assertThat(third.log()).contains("left running by an earlier Pollster");
            assertThat(ProcessHandle.of(postgresPid).filter(ProcessHandle::isAlive)).isEmpty();
            String adminToken = Files.readString(dataDir.resolve("admin-token"), UTF_8).strip();
            List<String> names = third.api().as(adminToken).get("/api/v1/users").json().get("items")
                    .valueStream().map(u -> u.get("name").asString()).toList();
            assertThat(names).containsExactly("alice");
            assertThat(third.api().as(aliceToken).get("/api/v1/me").status()).isEqualTo(200);
            jobsToLoopbackAreRefusedByDefault(third.api().as(aliceToken));
            assertThat(third.terminate(Duration.ofSeconds(60))).isIn(0, 143);
        }
    }

    /**
     * SSRF guard with default settings: a job whose host is a loopback address is refused when it is
     * created, naming the setting that would allow it, and nothing reaches the upstream. (Names that
     * only resolve to such addresses are refused at connect time: FetcherSafetyTest.)
     */
    private static void jobsToLoopbackAreRefusedByDefault(Api alice) {
        try (StubUpstream upstream = new StubUpstream()) {
            upstream.route("/internal", n -> StubUpstream.Answer.json("{\"secret\":true}"));
            for (String url : List.of(upstream.url("/internal").toString(),
                    upstream.url("/internal").toString().replace("127.0.0.1", "localhost"))) {
                Api.Response created = alice.post("/api/v1/jobs", "{\"url\":\"%s\",\"interval\":\"1h\"}".formatted(url));

                assertThat(created.status()).as(created.toString()).isEqualTo(400);
                assertThat(created.json().get("errors").get(0).get("message").asString())
                        .contains("refused", "loopback", "POLLSTER_FETCH_ALLOW_PRIVATE_NETWORKS");
            }
            assertThat(alice.get("/api/v1/jobs").json().get("items")).isEmpty();
            assertThat(upstream.requests("/internal")).isEmpty();
        }
    }

    @AfterEach
    void stopAnyPostgresLeftBehind() throws Exception {
        Optional<Long> pid = postmasterPid();
        pid.flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroyForcibly);
    }

    private Optional<Long> postmasterPid() throws Exception {
        Path pidFile = dataDir.resolve("postgres/postmaster.pid");
        if (!Files.exists(pidFile)) {
            return Optional.empty();
        }
        return Optional.of(Long.parseLong(Files.readAllLines(pidFile).getFirst().strip()));
    }
}
