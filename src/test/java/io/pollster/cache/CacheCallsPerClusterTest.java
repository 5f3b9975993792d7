package io.pollster.cache;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import io.pollster.support.Api;
import io.pollster.support.PollsterProcess;
import io.pollster.support.StubUpstream;
import io.pollster.support.StubUpstream.Answer;
import io.pollster.support.TestDatabase;
import io.pollster.support.TestDirs;
import io.pollster.support.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Identical jobs of two users spread over three, then two Pollster processes sharing
 * {@code POLLSTER_SECRET_KEY}: the upstream sees one call per TTL for the whole cluster, not one
 * per node. Each window is long enough that per-node calls (two or three per TTL) land well above
 * the bound the test allows.
 */
class CacheCallsPerClusterTest {

    private static final String ADMIN = "cache-cluster-admin-token-0123456789";
    private static final Duration START = Duration.ofSeconds(180);
    private static final Duration TTL = Duration.ofSeconds(2);
    private static final Duration WINDOW = Duration.ofSeconds(10);

    private final StubUpstream upstream = new StubUpstream();
    private final TestDatabase db = TestDatabase.get().sibling("cachecluster");
    private final Path dir = TestDirs.newDir("cache-cluster-");
    private final List<PollsterProcess> nodes = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (PollsterProcess node : nodes) {
            node.close();
        }
        upstream.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "redis"})
    void threeAndTwoNodesMakeOneUpstreamCallPerTtlForTheCluster(String backend) throws Exception {
        AtomicInteger calls = new AtomicInteger();
        upstream.route("/rates", n -> Answer.json("{\"eur\":" + calls.incrementAndGet() + "}"));
        String prefix = "pollster-test-" + UUID.randomUUID() + ":";
        try {
            // three start together (each start costs the most); the third then stops for the two-node window
            for (String name : List.of("one", "two", "three")) {
                nodes.add(PollsterProcess.start(dir.resolve(name), env(backend, prefix, "node-" + name)));
            }
            nodes.forEach(node -> node.awaitReady(START));
            Api admin = nodes.getFirst().api().as(ADMIN);
            List<String> users = List.of(user(admin, "alice"), user(admin, "bob"));
            for (int i = 0; i < 24; i++) {
                Api owner = nodes.get(i % 3).api().as(users.get(i % 2));
                Api.Response created = owner.post("/api/v1/jobs", """
                        {"url":"%s","interval":"1s","cache":{"ttl":"2s","waitTimeout":"2s"}}""".formatted(upstream.url("/rates")));
                assertThat(created.status()).as(created.toString()).isEqualTo(201);
            }
            await("calls from every node").atMost(START).until(() -> agents().size() == 3);
            assertOneCallPerTtl(3);

            nodes.removeLast().terminate(Duration.ofSeconds(60));
            assertOneCallPerTtl(2);
        } finally {
            if (backend.equals("redis")) {
                var redis = TestRedis.connect();
                TestRedis.dropAndClose(redis, prefix);
            }
        }
    }

    /** Over {@link #WINDOW}, the calls of {@code count} nodes are those of one node, with a call of slack at each end. */
    private void assertOneCallPerTtl(int count) {
        int before = upstream.requests("/rates").size();
        long from = System.nanoTime();
        await("the window").pollDelay(WINDOW).atMost(WINDOW.plusSeconds(5)).until(() -> true);
        double seconds = (System.nanoTime() - from) / 1e9;
        List<StubUpstream.Request> made = upstream.requests("/rates");
        List<StubUpstream.Request> window = made.subList(before, made.size());
        int allowed = (int) Math.ceil(seconds / TTL.toSeconds()) + 2;
        assertThat(window.size()).as("calls of %d nodes in %.1f s with a %d s TTL (per node would be about %d): %s", count,
                        seconds, TTL.toSeconds(), (int) (count * seconds / TTL.toSeconds()),
                        window.stream().map(r -> r.headers().getFirst("User-Agent")).toList())
                .isBetween(allowed - 4, allowed);
    }

    /** The nodes that made a call. */
    private List<String> agents() {
        return upstream.requests("/rates").stream().map(r -> r.headers().getFirst("User-Agent"))
                .map(agent -> agent.substring(agent.lastIndexOf(' ') + 1)).distinct().toList();
    }

    private Map<String, String> env(String backend, String prefix, String agent) {
        List<String> extra = new ArrayList<>(List.of("POLLSTER_POLLER_USER_AGENT", "Pollster/test " + agent,
                "POLLSTER_CACHE", backend));
        if (backend.equals("redis")) {
            extra.addAll(List.of("SPRING_DATA_REDIS_HOST", "127.0.0.1",
                    "SPRING_DATA_REDIS_PORT", System.getenv().getOrDefault("POLLSTER_TEST_REDIS_PORT", "6379"),
                    "POLLSTER_REDIS_KEY_PREFIX", prefix));
        }
        return PollsterProcess.sharedEnv(db, ADMIN, extra.toArray(String[]::new));
    }

    private static String user(Api admin, String name) {
        Api.Response created = admin.post("/api/v1/users", "{\"name\":\"" + name + "\"}");
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        return created.json().get("token").asString();
    }
}
