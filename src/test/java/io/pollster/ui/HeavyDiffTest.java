package io.pollster.ui;

import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

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
 * One user keeps asking a running Pollster to compare two large versions that have no line in
 * common, in the web UI and through the API, several at once: the node keeps answering its health
 * check and another user's API at once, and the comparison says it is too different to show line
 * by line instead of computing for minutes.
 */
class HeavyDiffTest {

    private static final String ADMIN = "heavy-diff-admin-token-0123456789";
    /** The stall this guards against lasted over a minute; a loaded 2-core CI machine still answers in well under this. */
    private static final Duration PROBE_LIMIT = Duration.ofSeconds(2);

    private final StubUpstream upstream = new StubUpstream();
    private final TestDatabase db = TestDatabase.get().sibling("heavydiff");

    @AfterEach
    void stopUpstream() {
        upstream.close();
    }

    @Test
    void comparingHugeWhollyDifferentVersionsNeverStallsTheNodeForOthers() throws Exception {
        // 90,000 lines a side, none in common: under the API's line limit, over any line diff's budget
        String first = lines("a");
        String second = lines("b");
        upstream.route("/big", n -> Answer.text(n == 0 ? first : second));
        upstream.route("/small", n -> Answer.json("{\"n\":1}"));
        Path base = TestDirs.newDir("heavy-diff-");
        try (PollsterProcess node = PollsterProcess.start(base.resolve("node"), PollsterProcess.sharedEnv(db, ADMIN))) {
            node.awaitReady(Duration.ofSeconds(180));
            Api admin = node.api().as(ADMIN);
            String malloryToken = admin.post("/api/v1/users", "{\"name\":\"mallory\"}").json().get("token").asString();
            Api mallory = node.api().as(malloryToken);
            Api bob = node.api().as(admin.post("/api/v1/users", "{\"name\":\"bob\"}").json().get("token").asString());
            assertThat(bob.post("/api/v1/jobs", "{\"url\":\"%s\",\"interval\":\"1h\"}".formatted(upstream.url("/small"))).status())
                    .isEqualTo(201);
            String job = mallory.post("/api/v1/jobs", "{\"url\":\"%s\",\"interval\":\"1h\"}".formatted(upstream.url("/big")))
                    .json().get("id").asString();
            await("the first version").atMost(Duration.ofSeconds(60))
                    .until(() -> mallory.get("/api/v1/jobs/" + job + "/versions").json().get("items").size() == 1);
            assertThat(mallory.post("/api/v1/jobs/" + job + "/run").status()).isEqualTo(202);
            await("the second version").atMost(Duration.ofSeconds(60))
                    .until(() -> mallory.get("/api/v1/jobs/" + job + "/versions").json().get("items").size() == 2);
            String newest = mallory.get("/api/v1/jobs/" + job + "/versions").json().get("items").get(0).get("id").asString();
            String cookie = login(node.api(), malloryToken);

            AtomicBoolean attacking = new AtomicBoolean(true);
            ConcurrentLinkedQueue<String> pages = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<String> diffs = new ConcurrentLinkedQueue<>();
            List<Duration> probes = new ArrayList<>();
            try (ExecutorService attackers = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> running = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    running.add(attackers.submit(() -> {
                        while (attacking.get()) {
                            Api.Response page = node.api().send(node.api().request("/jobs/" + job + "/diff")
                                    .header("Cookie", cookie).timeout(Duration.ofMinutes(3)).GET());
                            pages.add(page.status() + " " + page.body());
                        }
                        return null;
                    }));
                    running.add(attackers.submit(() -> {
                        while (attacking.get()) {
                            Api.Response diff = mallory.send(mallory.request("/api/v1/jobs/" + job + "/versions/" + newest + "/diff")
                                    .timeout(Duration.ofMinutes(3)).GET());
                            diffs.add(diff.status() + " " + diff.body());
                        }
                        return null;
                    }));
                }
                long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
                while (System.nanoTime() < until) {
                    probes.add(timed(() -> assertThat(node.api().send(node.api().request("/actuator/health")
                            .timeout(Duration.ofSeconds(30)).GET()).status()).isEqualTo(200)));
                    probes.add(timed(() -> assertThat(bob.send(bob.request("/api/v1/jobs").timeout(Duration.ofSeconds(30)).GET())
                            .json().get("items").size()).isEqualTo(1)));
                    Thread.sleep(100);
                }
                attacking.set(false);
                for (Future<?> attacker : running) {
                    attacker.get();
                }
            }

            assertThat(probes).as("health checks and bob's API calls during the attack").hasSizeGreaterThan(20)
                    .allSatisfy(took -> assertThat(took).isLessThan(PROBE_LIMIT));
            assertThat(pages).as("diff pages").isNotEmpty().allSatisfy(page -> assertThat(page).matches("(?s)(200|429) .*"));
            assertThat(pages).anySatisfy(page -> assertThat(page).startsWith("200").contains("too different to compare line by line"));
            assertThat(diffs).as("API diffs").isNotEmpty().allSatisfy(diff -> assertThat(diff).matches("(?s)(200|429) .*"));
            assertThat(diffs).anySatisfy(diff -> assertThat(diff).startsWith("200").contains("differ in too many places"));
            node.terminate(Duration.ofSeconds(60));
        }
    }

    private static String lines(String prefix) {
        return IntStream.range(0, 90_000).mapToObj(i -> prefix + i).collect(Collectors.joining("\n", "", "\n"));
    }

    /** The session cookie a login answers with (its redirect not followed: that answer carries the cookie). */
    private static String login(Api api, String token) throws Exception {
        HttpRequest request = api.request("/login").header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("token=" + URLEncoder.encode(token, StandardCharsets.UTF_8))).build();
        try (HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build()) {
            HttpResponse<String> login = http.send(request, HttpResponse.BodyHandlers.ofString());
            String setCookie = login.headers().firstValue("Set-Cookie").orElseThrow(
                    () -> new AssertionError("no session cookie: " + login.statusCode() + " " + login.body()));
            return setCookie.substring(0, setCookie.indexOf(';'));
        }
    }

    private static Duration timed(Runnable probe) {
        long started = System.nanoTime();
        probe.run();
        return Duration.ofNanos(System.nanoTime() - started);
    }
}
