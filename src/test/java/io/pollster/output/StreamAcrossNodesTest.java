package io.pollster.output;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

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
 * A stream served by an api-only process carries the events a poller process commits, and ends
 * within seconds when its user is deleted through the other process.
 */
class StreamAcrossNodesTest {

    private static final String ADMIN = "stream-nodes-admin-token-0123456789";

    private final StubUpstream upstream = new StubUpstream();
    private final TestDatabase db = TestDatabase.get().sibling("streamnodes");

    @AfterEach
    void stopUpstream() {
        upstream.close();
    }

    @Test
    void eventsCommittedByAPollerProcessReachAStreamOnAnApiProcessWhichEndsItWhenTheOtherDeletesTheUser() throws Exception {
        upstream.route("/changing", n -> Answer.json("{\"n\":" + n + "}"));
        Path base = TestDirs.newDir("stream-nodes-");
        Map<String, String> pollerEnv = PollsterProcess.sharedEnv(db, ADMIN, "POLLSTER_ROLES", "scheduler,poller,api");
        Map<String, String> apiEnv = PollsterProcess.sharedEnv(db, ADMIN, "POLLSTER_ROLES", "api");

        try (PollsterProcess poller = PollsterProcess.start(base.resolve("poller"), pollerEnv);
             PollsterProcess apiNode = PollsterProcess.start(base.resolve("api"), apiEnv)) {
            apiNode.awaitReady(Duration.ofSeconds(180));
            poller.awaitReady(Duration.ofSeconds(180));
            Api admin = apiNode.api().as(ADMIN);
            String token = admin.post("/api/v1/users", "{\"name\":\"alice\"}").json().get("token").asString();
            HttpResponse<InputStream> stream = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiNode.port() + "/api/v1/events/stream"))
                            .header("Authorization", "Bearer " + token).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(stream.statusCode()).isEqualTo(200);
            List<String> types = new CopyOnWriteArrayList<>();
            AtomicBoolean ended = new AtomicBoolean();
            Thread reader = Thread.ofVirtual().start(() -> {
                try (BufferedReader lines = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
                    lines.lines().filter(l -> l.startsWith("event: ")).forEach(l -> types.add(l.substring(7)));
                    ended.set(true);
                } catch (Exception closed) {
                    // closed by the test
                }
            });

            Api alice = apiNode.api().as(token);
            assertThat(alice.post("/api/v1/jobs", "{\"url\":\"%s\",\"interval\":\"1s\"}".formatted(upstream.url("/changing")))
                    .status()).isEqualTo(201);

            await("versions the poller process committed, streamed by the api process").atMost(Duration.ofSeconds(60))
                    .until(() -> types.size() >= 2);
            assertThat(types).containsOnly("version.created");
            assertThat(ended).isFalse();

            String aliceId = alice.get("/api/v1/me").json().get("id").asString();
            assertThat(poller.api().as(ADMIN).delete("/api/v1/users/" + aliceId).status()).isEqualTo(204);
            await("the api process to end the deleted user's stream").atMost(Duration.ofSeconds(5)).untilTrue(ended);
            stream.body().close();
            reader.interrupt();
            poller.terminate(Duration.ofSeconds(60));
            apiNode.terminate(Duration.ofSeconds(60));
        }
    }
}
