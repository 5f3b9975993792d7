package io.pollster.cluster;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

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

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two nodes polling jobs whose upstream is slower than their interval, so every job always has a
 * poll in flight; one node is SIGKILLed. The polls it held are the fires of its jobs still in
 * flight: the surviving node finds it dead from its missed heartbeats and releases them, so every
 * job polls again within seconds — not after the 2-minute visibility timeout of a poll task (9 of
 * the 24 jobs did not poll in the 15 s before the release existed). On RabbitMQ the broker requeues
 * the dead consumer's messages by itself; that case guards that nothing kept in PostgreSQL holds
 * the jobs back there either.
 */
class KilledNodeTest {

    private static final String ADMIN = "killed-node-admin-token-0123456789";
    private static final int JOBS = 24;
    private static final Duration START = Duration.ofSeconds(180);

    private final StubUpstream upstream = new StubUpstream();
    private final TestDatabase db = TestDatabase.get().sibling("killednode");

    @AfterEach
    void stopUpstream() {
        upstream.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "rabbitmq"})
    void everyJobPollsAgainWithinFifteenSecondsOfANodesKill(String transport) throws Exception {
        for (int i = 0; i < JOBS; i++) {
            upstream.route("/slow/" + i, n -> Answer.json("{\"n\":" + n + "}").after(1_500));
        }
        Map<String, String> env = env(transport);
        Path base = TestDirs.newDir("killed-node-");
        try (PollsterProcess survivor = PollsterProcess.start(base.resolve("survivor"), env);
             PollsterProcess victim = PollsterProcess.start(base.resolve("victim"), env)) {
            survivor.awaitReady(START);
            victim.awaitReady(START);
            Api alice = survivor.api().as(user(survivor.api().as(ADMIN)));
            List<String> paths = new ArrayList<>();
            for (int i = 0; i < JOBS; i++) {
                paths.add("/slow/" + i);
                Api.Response created = alice.post("/api/v1/jobs", "{\"url\":\"%s\",\"interval\":\"1s\"}"
                        .formatted(upstream.url("/slow/" + i)));
                assertThat(created.status()).as(created.toString()).isEqualTo(201);
            }
            await("every job polled, and the node to kill polling some").atMost(Duration.ofSeconds(60))
                    .until(() -> db.scalar("SELECT min(polls) FROM job_polls") >= 1 && polls(victim) >= 3);
            if (transport.equals("postgres")) {
                await("the node to kill holding poll tasks").atMost(Duration.ofSeconds(30))
                        .until(() -> db.scalar("SELECT count(*) FROM queue_tasks WHERE leased_by LIKE '%-" + victim.pid() + "-%'") > 0);
            }

            victim.kill();
            long killed = System.nanoTime();

            await("every job polled after the kill").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
                    .untilAsserted(() -> assertThat(notPolledSince(paths, killed)).as("jobs not polled since the kill").isEmpty());
            await("the survivor to find the killed node dead").atMost(Duration.ofSeconds(15))
                    .until(() -> metric(survivor, "pollster_cluster_dead_nodes_total") == 1);
            assertThat(db.scalar("SELECT count(*) FROM nodes WHERE id LIKE '%-" + victim.pid() + "-%'")).isZero();
            assertThat(db.scalar("SELECT count(*) FROM queue_tasks WHERE leased_by LIKE '%-" + victim.pid() + "-%'")).isZero();
            assertThat(db.scalar("SELECT count(*) FROM dead_letters")).isZero();
            survivor.terminate(Duration.ofSeconds(60));
        }
    }

    /**
     * The survivor alone must be able to poll every job at once: neither the per-host limit (every
     * job's upstream is 127.0.0.1) nor a user's share of slow polls is what this test measures.
     */
    private Map<String, String> env(String transport) {
        Map<String, String> env = PollsterProcess.sharedEnv(db, ADMIN, "POLLSTER_HOSTS_DEFAULT_CONCURRENCY", "64",
                "POLLSTER_POLLER_SLOW_POLLS_PER_USER", "64");
        if (transport.equals("rabbitmq")) {
            env.putAll(Map.of("POLLSTER_TRANSPORT", "rabbitmq", "SPRING_RABBITMQ_HOST", "127.0.0.1",
                    "SPRING_RABBITMQ_VIRTUAL_HOST", TestBroker.get().vhost(),
                    "POLLSTER_QUEUE_PREFIX", "killed-" + UUID.randomUUID().toString().substring(0, 8) + "."));
        }
        return env;
    }

    private List<String> notPolledSince(List<String> paths, long nanos) {
        return paths.stream().filter(path -> upstream.requests(path).stream().noneMatch(r -> r.receivedAt() > nanos)).toList();
    }

    /** Polls this process has made, from its metrics. */
    private static long polls(PollsterProcess process) {
        return metric(process, "pollster_polls_total");
    }

    /** The sum of a counter's series on this process. */
    private static long metric(PollsterProcess process, String name) {
        return process.api().get("/actuator/prometheus").body().lines()
                .filter(line -> line.startsWith(name + "{") || line.startsWith(name + " "))
                .mapToLong(line -> (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .sum();
    }

    private static String user(Api admin) {
        Api.Response created = admin.post("/api/v1/users", "{\"name\":\"alice\"}");
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        return created.json().get("token").asString();
    }
}
