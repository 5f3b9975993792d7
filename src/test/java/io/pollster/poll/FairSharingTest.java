package io.pollster.poll;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import io.pollster.support.Api;
import io.pollster.support.PipelineTest;
import io.pollster.support.StubUpstream.Answer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A poller with four slots, shared by users whose upstreams misbehave and a user whose one-second
 * job must keep its pace: tarpits take only their owner's share, and polls waiting between
 * retries hold no slot at all.
 */
class FairSharingTest extends PipelineTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @DynamicPropertySource
    static void fourSlots(DynamicPropertyRegistry registry) {
        registry.add("pollster.poller.concurrency", () -> "4");
        registry.add("pollster.poller.slow-polls-per-user", () -> "2");
        registry.add("pollster.hosts.default-concurrency", () -> "64");
    }

    @Autowired
    private JdbcClient jdbc;

    private Api mallory;
    private Api bob;

    @BeforeEach
    void users() {
        mallory = api().as(createUser("mallory"));
        bob = api().as(createUser("bob"));
    }

    @Test
    void aUserWithManyTarpitJobsCannotDelayAnotherUsersOneSecondJob() {
        upstream.route("/tarpit", n -> Answer.json("{}").after(6_000));
        upstream.route("/quick", n -> Answer.json("{\"ok\":true}"));
        for (int i = 0; i < 8; i++) {
            create(mallory, "{\"url\":\"%s\",\"interval\":\"1s\",\"timeout\":\"10s\"}".formatted(upstream.url("/tarpit")));
        }
        String quick = create(bob, "{\"url\":\"%s\",\"interval\":\"1s\"}".formatted(upstream.url("/quick")));
        Instant created = Instant.now();

        await("bob's job keeps polling beside the tarpits").atMost(WAIT)
                .until(() -> polls(bob, quick) >= 6);

        assertThat(Duration.between(created, Instant.now())).as("about one poll a second").isLessThan(Duration.ofSeconds(12));
        assertThat(upstream.mostAtOnce("/tarpit")).as("mallory's slow polls at once").isLessThanOrEqualTo(2);
    }

    @Test
    void pollsWaitingForTheirNextAttemptHoldNoSlot() {
        upstream.route("/failing", n -> Answer.status(503));
        upstream.route("/quick", n -> Answer.json("{\"ok\":true}"));
        for (int i = 0; i < 6; i++) {
            create(mallory, """
                    {"url":"%s","interval":"1s","retry":{"maxAttempts":5,"backoff":"4s","maxBackoff":"4s"}}
                    """.formatted(upstream.url("/failing")));
        }
        String quick = create(bob, "{\"url\":\"%s\",\"interval\":\"1s\"}".formatted(upstream.url("/quick")));
        Instant created = Instant.now();

        await("bob's job keeps polling while six jobs wait between retries").atMost(WAIT)
                .until(() -> polls(bob, quick) >= 5);

        assertThat(Duration.between(created, Instant.now())).isLessThan(Duration.ofSeconds(10));
        List<?> waiting = jdbc.sql("SELECT id FROM queue_tasks WHERE visible_at > now() + INTERVAL '1 second'").query().listOfRows();
        assertThat(waiting).as("the retries wait on the queue, not in a slot").isNotEmpty();
    }

    private static String create(Api user, String body) {
        Api.Response created = user.post("/api/v1/jobs", body);
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        return created.json().get("id").asString();
    }

    private static long polls(Api user, String id) {
        return user.get("/api/v1/jobs/" + id).json().get("stats").get("polls").asLong();
    }
}
