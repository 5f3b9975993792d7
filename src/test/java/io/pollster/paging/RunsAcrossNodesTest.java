package io.pollster.paging;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import io.pollster.support.Api;
import io.pollster.support.PollsterProcess;
import io.pollster.support.StubUpstream;
import io.pollster.support.StubUpstream.Answer;
import io.pollster.support.TestBroker;
import io.pollster.support.TestDatabase;
import io.pollster.support.TestDirs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Runs on several Pollster processes sharing one database: pages fanned out, kills survived, rates kept together. */
class RunsAcrossNodesTest {

    private static final String ADMIN = "runs-nodes-admin-token-0123456789";
    private static final Duration START = Duration.ofSeconds(180);
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final Pattern PAGES_DONE = Pattern.compile("pollster_pages_total\\{outcome=\"done\"} ([0-9.E]+)");

    private final StubUpstream upstream = new StubUpstream();
    private final TestDatabase db = TestDatabase.get().sibling("runs");
    private final Path dir = TestDirs.newDir("runs-");

    @AfterEach
    void stopUpstream() {
        upstream.close();
    }

    /** {@code /pages?page=N&limit=10} of an API holding {@code items} items, after {@code delayMs}. */
    private void pages(int items, long delayMs) {
        upstream.routeQuery("/pages", q -> {
            int page = Integer.parseInt(q.getOrDefault("page", "1"));
            List<String> rows = new ArrayList<>();
            for (int i = (page - 1) * 10; i < Math.min(items, page * 10); i++) {
                rows.add("{\"id\":" + i + "}");
            }
            return Answer.json("{\"count\":%d,\"results\":[%s]}".formatted(items, String.join(",", rows))).after(delayMs);
        });
    }

    /**
     * Two pollers share a run's pages (each fetched once, within its parallelism), then keep a
     * job's rate limit together: on PostgreSQL alone, and on RabbitMQ with the spacing in Redis.
     * On PostgreSQL a third run then loses one poller to SIGKILL, then the other (the whole cluster
     * down mid-run), and completes on a poller started afterwards.
     */
    @ParameterizedTest
    @ValueSource(strings = {"postgres", "rabbitmq+redis"})
    void twoPollersShareARunsPagesAndKeepARateLimitTogether(String backends) throws Exception {
        pages(2_000, 30);
        upstream.routeQuery("/rated", q -> Answer.json("{\"count\":200,\"results\":[{\"id\":%s}]}".formatted(q.get("page"))));
        upstream.routeQuery("/crash", q -> Answer.json("{\"count\":3000,\"results\":[{\"id\":%s}]}".formatted(q.get("page")))
                .after(200));
        Map<String, String> env = env(backends);
        String token;
        String crashing = null;
        try (PollsterProcess one = PollsterProcess.start(dir.resolve("one"), env);
             PollsterProcess two = PollsterProcess.start(dir.resolve("two"), env)) {
            one.awaitReady(START);
            two.awaitReady(START);
            token = user(one.api().as(ADMIN));
            Api alice = one.api().as(token);
            String id = job(alice, """
                    {"url":"%s","interval":"1h","items":{"path":"$.results[*]","key":"$.id"},
                     "pagination":{"type":"page","sizeParam":"limit","size":10,"totalPath":"$.count","parallelism":6}}
                    """.formatted(upstream.url("/pages")));

            JsonNode run = finishedRun(alice, id);
            assertThat(run.get("status").asString()).isEqualTo("succeeded");
            assertThat(run.get("pages").get("done").asInt()).isEqualTo(200);
            Map<String, Long> fetches = upstream.requests("/pages").stream()
                    .collect(Collectors.groupingBy(r -> r.param("page"), Collectors.counting()));
            assertThat(fetches).hasSize(200).allSatisfy((page, n) -> assertThat(n).as("page %s", page).isEqualTo(1));
            assertThat(upstream.mostAtOnce("/pages")).isLessThanOrEqualTo(6);
            long firstShare = pagesDone(one);
            assertThat(firstShare).as("pages the first process fetched").isPositive();
            assertThat(pagesDone(two)).as("pages the second process fetched").isPositive();
            assertThat(db.scalar("SELECT count(*) FROM items")).isEqualTo(2_000);
            assertThat(db.scalar("SELECT count(*) FROM events WHERE type = 'item.created'")).isEqualTo(2_000);

            String rated = job(alice, """
                    {"url":"%s","interval":"1h","rateLimit":{"limit":5,"per":"1s"},
                     "pagination":{"type":"page","size":1,"totalPath":"$.count","totalIs":"pages","maxPages":20,"parallelism":8}}
                    """.formatted(upstream.url("/rated")));
            assertThat(finishedRun(alice, rated).get("status").asString()).isEqualTo("succeeded");
            assertThat(pagesDone(one)).as("the first process fetched rated pages too").isGreaterThan(firstShare);

            if (backends.equals("postgres")) {
                long before = pagesDone(two);
                crashing = job(alice, """
                        {"url":"%s","interval":"1h",
                         "pagination":{"type":"page","sizeParam":"limit","size":10,"totalPath":"$.count","parallelism":8}}
                        """.formatted(upstream.url("/crash")));
                String crash = crashing;
                await("the second process to fetch pages").atMost(WAIT).until(() -> pagesDone(two) >= before + 10);
                two.kill();
                await("a third of the run").atMost(WAIT).until(() -> done(alice, crash) >= 100);
                one.kill(); // the whole cluster is down now, mid-run
            }
        }
        List<Long> times = upstream.requests("/rated").stream().map(StubUpstream.Request::receivedAt).sorted().toList();
        assertThat(times).hasSize(20);
        for (int i = 0; i + 6 < times.size(); i++) {
            assertThat(times.get(i + 6) - times.get(i)).as("requests %d..%d within one second", i, i + 6)
                    .isGreaterThan(1_000_000_000L);
        }
        if (crashing != null) {
            assertThat(db.scalar("SELECT pages_done FROM runs WHERE job_id = '" + crashing + "'"))
                    .as("the run was cut off midway").isLessThan(300);
            try (PollsterProcess restarted = PollsterProcess.start(dir.resolve("restarted"), env).awaitReady(START)) {
                JsonNode run = finishedRun(restarted.api().as(token), crashing);
                assertThat(run.get("status").asString()).isEqualTo("succeeded");
                assertThat(run.get("pages").get("done").asInt()).isEqualTo(300);
            }
            Map<String, Long> fetches = upstream.requests("/crash").stream()
                    .collect(Collectors.groupingBy(r -> r.param("page"), Collectors.counting()));
            assertThat(fetches).hasSize(300);
            long twice = fetches.values().stream().filter(n -> n > 1).count();
            // at most the pages in flight at each kill (8 per run, one run) are fetched again
            assertThat(twice).as("pages fetched twice").isLessThanOrEqualTo(16);
            assertThat(fetches.values()).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(3));
        }
    }

    private Map<String, String> env(String backends) {
        if (backends.equals("rabbitmq+redis")) {
            return PollsterProcess.sharedEnv(db, ADMIN, "POLLSTER_PAGES_VISIBILITY_TIMEOUT", "5s",
                    "POLLSTER_TRANSPORT", "rabbitmq", "SPRING_RABBITMQ_HOST", "127.0.0.1",
                    "SPRING_RABBITMQ_VIRTUAL_HOST", TestBroker.get().vhost(), "POLLSTER_QUEUE_PREFIX", "runs.",
                    "POLLSTER_CACHE", "redis", "SPRING_DATA_REDIS_HOST", "127.0.0.1",
                    "SPRING_DATA_REDIS_PORT", System.getenv().getOrDefault("POLLSTER_TEST_REDIS_PORT", "6379"),
                    "POLLSTER_REDIS_KEY_PREFIX", "pollster-test-" + java.util.UUID.randomUUID() + ":");
        }
        return PollsterProcess.sharedEnv(db, ADMIN, "POLLSTER_PAGES_VISIBILITY_TIMEOUT", "5s");
    }

    private static long pagesDone(PollsterProcess process) {
        String metrics = process.api().get("/actuator/prometheus").body();
        Matcher m = PAGES_DONE.matcher(metrics);
        return m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
    }

    private static int done(Api api, String id) {
        List<JsonNode> runs = api.get("/api/v1/jobs/" + id + "/runs").json().get("items").valueStream().toList();
        return runs.isEmpty() ? 0 : runs.get(0).get("pages").get("done").asInt();
    }

    private static JsonNode finishedRun(Api api, String id) {
        await("a finished run").atMost(WAIT).until(() -> {
            List<JsonNode> runs = api.get("/api/v1/jobs/" + id + "/runs").json().get("items").valueStream().toList();
            return !runs.isEmpty() && !runs.get(0).get("status").asString().equals("running");
        });
        return api.get("/api/v1/jobs/" + id + "/runs").json().get("items").get(0);
    }

    private static String job(Api api, String body) {
        Api.Response created = api.post("/api/v1/jobs", body);
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        return created.json().get("id").asString();
    }

    private static String user(Api admin) {
        Api.Response created = admin.post("/api/v1/users", "{\"name\":\"alice\"}");
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        return created.json().get("token").asString();
    }
}
