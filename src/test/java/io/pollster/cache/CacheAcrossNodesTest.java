package io.pollster.cache;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.pollster.support.Api;
import io.pollster.support.PollsterProcess;
import io.pollster.support.StubUpstream;
import io.pollster.support.StubUpstream.Answer;
import io.pollster.support.TestDatabase;
import io.pollster.support.TestDirs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Jobs of several users sending the same request from two Pollster processes, with a local
 * upstream that counts its calls: on PostgreSQL, and on a Redis of the test's own (so that it can
 * be stopped and started again). The scenarios run side by side on separate paths.
 */
class CacheAcrossNodesTest {

    private static final String ADMIN = "cache-nodes-admin-token-0123456789";
    private static final Duration START = Duration.ofSeconds(180);
    private static final Duration WAIT = Duration.ofSeconds(90);

    private final StubUpstream upstream = new StubUpstream();
    private final TestDatabase db = TestDatabase.get().sibling("cache");
    private final Path dir = TestDirs.newDir("cache-");
    private Process redis;

    @AfterEach
    void stop() throws InterruptedException {
        upstream.close();
        if (redis != null) {
            redis.destroyForcibly().waitFor();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "redis"})
    void identicalJobsOnTwoNodesCostOneCallPerTtlUnderKillsAndRestarts(String backend) throws Exception {
        AtomicInteger rates = new AtomicInteger();
        upstream.route("/rates", n -> Answer.json("{\"eur\":" + rates.incrementAndGet() + "}"));
        upstream.route("/private", n -> Answer.json("{\"n\":" + n + "}"));
        upstream.route("/broken", n -> Answer.status(500));
        upstream.route("/limited", n -> Answer.json("{\"limited\":true}"));
        upstream.route("/slow", n -> Answer.json("{\"slow\":true}").after(3_000));
        // the first call hangs (its node is killed meanwhile), the next answers at once
        upstream.route("/hang", n -> Answer.json("{\"hang\":" + n + "}").after(n == 0 ? 60_000 : 0));
        int redisPort = backend.equals("redis") ? startRedis() : 0;
        String prefix = "pollster-test-" + UUID.randomUUID() + ":";
        PollsterProcess one = PollsterProcess.start(dir.resolve("one"), env(backend, redisPort, prefix, "node-one"));
        PollsterProcess two = PollsterProcess.start(dir.resolve("two"), env(backend, redisPort, prefix, "node-two"));
        try (one; two) {
            one.awaitReady(START);
            two.awaitReady(START);
            assertThat(one.api().as(ADMIN).get("/api/v1/cluster").json().get("cache").asString()).isEqualTo(backend);
            List<Api> users = new ArrayList<>();
            for (int u = 0; u < 5; u++) {
                users.add((u % 2 == 0 ? one : two).api().as(user(one.api().as(ADMIN), "user" + u)));
            }

            // 40 jobs of 5 users, every second, sharing one call per 4 s
            List<String> shared = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                shared.add(job(users.get(i % 5), """
                        {"url":"%s","interval":"1s","cache":{"ttl":"4s","waitTimeout":"2s"}}""".formatted(upstream.url("/rates"))));
            }
            // credentials: two jobs share one, a third has its own
            String secretA = "Bearer s3cret-a-" + UUID.randomUUID();
            String secretB = "Bearer s3cret-b-" + UUID.randomUUID();
            for (String secret : List.of(secretA, secretA, secretB)) {
                job(users.get(0), """
                        {"url":"%s","interval":"1s","secretHeaders":{"Authorization":"%s"},"cache":{"ttl":"1m"}}"""
                        .formatted(upstream.url("/private"), secret));
            }
            // a failing upstream: asked once per 5 s, not once per job and second
            for (int i = 0; i < 10; i++) {
                job(users.get(i % 5), """
                        {"url":"%s","interval":"1s","retry":{"maxAttempts":1},"cache":{"ttl":"1m"}}"""
                        .formatted(upstream.url("/broken")));
            }
            // an upstream slower than the waiters' patience
            List<String> slow = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                slow.add(job(users.get(i % 5), """
                        {"url":"%s","interval":"1h","retry":{"maxAttempts":2,"backoff":"200ms","maxBackoff":"500ms"},
                         "cache":{"ttl":"1m","waitTimeout":"500ms"}}""".formatted(upstream.url("/slow"))));
            }
            // a rate limit holds back the calls, not the polls that take a stored answer
            List<String> limited = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                limited.add(job(users.get(i), """
                        {"url":"%s","interval":"1s","rateLimit":{"limit":1,"per":"1h"},"cache":{"ttl":"1m"}}"""
                        .formatted(upstream.url("/limited"))));
            }
            Thread.sleep(13_000);

            List<StubUpstream.Request> rateCalls = upstream.requests("/rates");
            double span = sinceFirst(rateCalls);
            assertThat(rateCalls.size()).as("calls for 40 jobs over %.1f s with a TTL of 4 s: %s", span, times(rateCalls))
                    .isBetween(3, (int) Math.ceil(span / 4) + 2);
            for (String id : shared) {
                JsonNode job = owner(users, id).get("/api/v1/jobs/" + id).json();
                assertThat(job.get("stats").get("polls").asInt()).as("polls of job %s", id).isGreaterThanOrEqualTo(8);
                assertThat(job.get("stats").get("failures").asInt()).as("failures of job %s", id).isZero();
                assertThat(owner(users, id).get("/api/v1/jobs/" + id + "/versions").json().get("items").size())
                        .as("versions of job %s", id).isGreaterThanOrEqualTo(2);
            }
            // shown as cached only to the user whose poll made the call: whoever it was, their other jobs show it
            assertThat(shared.stream().anyMatch(id -> owner(users, id).get("/api/v1/jobs/" + id + "/polls").json().get("items")
                    .valueStream().anyMatch(p -> p.get("cached").asBoolean()))).as("polls served by the cache").isTrue();

            assertThat(upstream.requests("/limited")).as("one call within the ttl").hasSize(1);
            for (String id : limited) {
                JsonNode job = owner(users, id).get("/api/v1/jobs/" + id).json();
                assertThat(job.get("stats").get("polls").asInt()).as("polls of rate-limited job %s", id).isGreaterThanOrEqualTo(5);
                assertThat(job.get("stats").get("failures").asInt()).as("failures of rate-limited job %s", id).isZero();
            }

            List<String> credentials = upstream.requests("/private").stream()
                    .map(r -> r.headers().getFirst("Authorization")).toList();
            assertThat(credentials).as("one call per credential within the TTL").containsExactlyInAnyOrder(secretA, secretB);
            assertNoSecretStored(backend, redisPort, prefix, List.of(secretA, secretB));

            List<StubUpstream.Request> broken = upstream.requests("/broken");
            double brokenSpan = sinceFirst(broken);
            assertThat(broken.size()).as("calls to a failing upstream over %.1f s: %s", brokenSpan, times(broken))
                    .isBetween(2, (int) Math.ceil(brokenSpan / 5) + 2);

            assertThat(upstream.requests("/slow")).as("one call for the slow upstream").hasSize(1);
            int versioned = 0;
            for (String id : slow) {
                if (owner(users, id).get("/api/v1/jobs/" + id + "/versions").json().get("items").size() > 0) {
                    versioned++;
                }
            }
            assertThat(versioned).as("the holder and any poll that came after the answer").isGreaterThanOrEqualTo(1);
            List<String> slowLetters = db.strings("SELECT error FROM dead_letters WHERE job_id IN ("
                    + String.join(",", slow.stream().map(s -> "'" + s + "'").toList()) + ")");
            assertThat(slowLetters).as("waiters that gave up").hasSize(slow.size() - versioned)
                    .allSatisfy(error -> assertThat(error).contains("cache.waitTimeout"));

            // the holder of a call is killed mid-fetch: its lease runs out, a waiter on the other node asks again
            List<String> hanging = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                hanging.add(job(users.get(i % 5), """
                        {"url":"%s","interval":"1h","timeout":"4s","retry":{"maxAttempts":8,"backoff":"1s","maxBackoff":"2s"},
                         "cache":{"ttl":"1m","waitTimeout":"1s"}}""".formatted(upstream.url("/hang"))));
            }
            await("the first call to /hang").atMost(WAIT).until(() -> !upstream.requests("/hang").isEmpty());
            String holder = upstream.requests("/hang").getFirst().headers().getFirst("User-Agent");
            PollsterProcess victim = holder.contains("node-one") ? one : two;
            PollsterProcess survivor = victim == one ? two : one;
            victim.kill();
            Api admin = survivor.api().as(ADMIN);
            for (String id : hanging) {
                await("a version of job " + id).atMost(WAIT).until(() ->
                        admin.get("/api/v1/jobs/" + id + "/versions").json().get("items").size() > 0);
            }
            assertThat(upstream.requests("/hang").size()).as("the killed call and one more").isBetween(2, 3);
            assertThat(db.scalar("SELECT count(*) FROM dead_letters WHERE job_id IN ("
                    + String.join(",", hanging.stream().map(s -> "'" + s + "'").toList()) + ")")).isZero();

            if (backend.equals("redis")) {
                redisRestartIsSurvived(survivor, admin, shared, redisPort);
            }
        }
    }

    /** Redis goes away for a while: the node is unready, polls wait instead of failing or calling upstream, then go on. */
    private void redisRestartIsSurvived(PollsterProcess node, Api admin, List<String> jobs, int port) throws Exception {
        redis.destroyForcibly().waitFor();
        long before = upstream.requests("/rates").size();
        await("readiness down without Redis").atMost(WAIT).until(() -> node.api().get("/actuator/health/readiness").status() == 503);
        assertThat(node.api().get("/actuator/health/readiness").body()).doesNotContain("s3cret");
        Thread.sleep(3_000);
        assertThat(upstream.requests("/rates").size()).as("no uncached calls while Redis is away").isEqualTo(before);
        redis = startRedis(port);
        await("readiness back with Redis").atMost(WAIT).until(() -> node.api().get("/actuator/health/readiness").status() == 200);
        long polls = totalPolls(admin, jobs);
        await("polls going on").atMost(WAIT).until(() -> totalPolls(admin, jobs) >= polls + 2L * jobs.size());
        for (String id : jobs) {
            assertThat(admin.get("/api/v1/jobs/" + id).json().get("stats").get("failures").asInt()).as("failures of %s", id)
                    .isZero();
        }
    }

    /** Seconds from the first of {@code requests} to now. */
    private static double sinceFirst(List<StubUpstream.Request> requests) {
        return requests.isEmpty() ? 0 : (System.nanoTime() - requests.getFirst().receivedAt()) / 1e9;
    }

    /** When each request came (seconds after the first) and from which node. */
    private static String times(List<StubUpstream.Request> requests) {
        long first = requests.isEmpty() ? 0 : requests.getFirst().receivedAt();
        return requests.stream().map(r -> "%.2f %s".formatted((r.receivedAt() - first) / 1e9, r.headers().getFirst("User-Agent")))
                .toList().toString();
    }

    private static long totalPolls(Api admin, List<String> jobs) {
        long sum = 0;
        for (String id : jobs) {
            sum += admin.get("/api/v1/jobs/" + id).json().get("stats").get("polls").asLong();
        }
        return sum;
    }

    private void assertNoSecretStored(String backend, int redisPort, String prefix, List<String> secrets) throws Exception {
        List<String> forms = new ArrayList<>();
        for (String secret : secrets) {
            forms.add(secret.substring("Bearer ".length()));
            forms.add(HexFormat.of().formatHex(secret.substring("Bearer ".length()).getBytes(StandardCharsets.UTF_8)));
        }
        List<String> tables = db.strings("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                + " AND table_type = 'BASE TABLE'");
        for (String table : tables) {
            String dump = String.join("\n", db.strings("SELECT CAST(t AS TEXT) FROM \"" + table + "\" t"));
            assertThat(dump).as("table %s", table).doesNotContain(forms);
        }
        if (backend.equals("redis")) {
            String keys = redisCli(redisPort, "--scan", "--pattern", prefix + "*");
            assertThat(keys).isNotBlank().doesNotContain(forms);
            for (String key : keys.strip().split("\n")) {
                String type = redisCli(redisPort, "TYPE", key).strip();
                String value = type.equals("hash") ? redisCli(redisPort, "HGETALL", key) : redisCli(redisPort, "GET", key);
                assertThat(value).as("Redis key %s", key).doesNotContain(forms);
            }
        }
    }

    private static String redisCli(int port, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("redis-cli", "-p", Integer.toString(port)));
        command.addAll(List.of(args));
        Process cli = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(cli.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(cli.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    private int startRedis() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        redis = startRedis(port);
        return port;
    }

    private static Process startRedis(int port) throws Exception {
        Process server = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        await("a Redis of the test's own on port " + port).atMost(Duration.ofSeconds(20))
                .until(() -> redisCli(port, "PING").contains("PONG"));
        return server;
    }

    private java.util.Map<String, String> env(String backend, int redisPort, String prefix, String agent) {
        // a short wait for host slots keeps the lease of a killed holder short: timeout + 6 × host-wait + 2 s
        List<String> extra = new ArrayList<>(List.of("POLLSTER_POLLER_VISIBILITY_TIMEOUT", "5s", "POLLSTER_POLLER_HOST_WAIT", "200ms",
                "POLLSTER_POLLER_USER_AGENT", "Pollster/test " + agent, "POLLSTER_CACHE", backend));
        if (backend.equals("redis")) {
            extra.addAll(List.of("SPRING_DATA_REDIS_HOST", "127.0.0.1", "SPRING_DATA_REDIS_PORT", Integer.toString(redisPort),
                    "SPRING_DATA_REDIS_TIMEOUT", "2s", "POLLSTER_REDIS_KEY_PREFIX", prefix));
        }
        return PollsterProcess.sharedEnv(db, ADMIN, extra.toArray(String[]::new));
    }

    private static Api owner(List<Api> users, String id) {
        return users.stream().filter(u -> u.get("/api/v1/jobs/" + id).status() == 200).findFirst().orElseThrow();
    }

    private static String job(Api api, String body) {
        Api.Response created = api.post("/api/v1/jobs", body);
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        return created.json().get("id").asString();
    }

    private static String user(Api admin, String name) {
        Api.Response created = admin.post("/api/v1/users", "{\"name\":\"" + name + "\"}");
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        return created.json().get("token").asString();
    }
}
