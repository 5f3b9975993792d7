package io.pollster.poll;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import io.pollster.support.StubUpstream.Answer;
import io.pollster.support.TestRabbitNode;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every poll-pipeline scenario again, with the poll tasks on RabbitMQ; and a broker restart under
 * load, on a broker of the run's own.
 */
@TestPropertySource(properties = {"pollster.transport=rabbitmq", "pollster.queue.prefix=pipeline-rabbit."})
class RabbitPollPipelineTest extends PollPipelineTest {

    @DynamicPropertySource
    static void ownBroker(DynamicPropertyRegistry registry) {
        registry.add("spring.rabbitmq.port", () -> TestRabbitNode.forRestarts().port());
    }

    @Autowired
    private JdbcClient jdbc;

    @Test
    void aBrokerRestartMidLoadIsRecoveredAloneAndEveryJobGoesOnBeingPolled() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            int job = i;
            upstream.route("/load/" + i, n -> Answer.json("{\"job\":%d,\"epoch\":%d}".formatted(job, System.currentTimeMillis() / 3000)));
            ids.add(job("{\"url\":\"%s\",\"interval\":\"1s\"}".formatted(upstream.url("/load/" + i))));
        }
        await("load before the restart").atMost(Duration.ofSeconds(30)).until(() -> polls() >= 60);

        TestRabbitNode.forRestarts().stopApp();
        try {
            Timestamp stopped = Timestamp.from(Instant.now());
            // the scheduler goes on firing into the outbox, which cannot publish meanwhile. How many jobs fire
            // depends on which had a task on the broker at the stop (those wait for it): at least one does
            await("fires kept in the outbox while the broker is down").atMost(Duration.ofSeconds(30)).until(() ->
                    jdbc.sql("SELECT count(*) FROM outbox WHERE created_at > :stopped").param("stopped", stopped)
                            .query(Integer.class).single() >= 1);
        } finally {
            TestRabbitNode.forRestarts().startApp();
        }
        Instant restarted = Instant.now();

        await("every job polled again after the restart").atMost(Duration.ofSeconds(60)).until(() ->
                jdbc.sql("SELECT count(*) FROM job_polls WHERE last_run_at > :t").param("t", Timestamp.from(restarted))
                        .query(Integer.class).single() == ids.size());
        await("the outbox to drain").atMost(Duration.ofSeconds(30)).until(() ->
                jdbc.sql("SELECT count(*) FROM outbox").query(Integer.class).single() == 0);
        assertThat(jdbc.sql("SELECT count(*) FROM dead_letters").query(Integer.class).single()).isZero();
        assertThat(jdbc.sql("""
                SELECT count(*) FROM (
                    SELECT hash, lag(hash) OVER (PARTITION BY job_id ORDER BY id) AS previous FROM versions) v
                WHERE hash = previous
                """).query(Integer.class).single()).as("versions equal to the one before them").isZero();
    }

    private long polls() {
        return jdbc.sql("SELECT coalesce(sum(polls), 0) FROM job_polls").query(Long.class).single();
    }
}
