package io.pollster.poll;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.pollster.schedule.PollTask;
import io.pollster.support.Api;
import io.pollster.support.PipelineTest;
import io.pollster.support.StubUpstream.Answer;
import io.pollster.transport.TaskHandler;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * At-least-once delivery means one fire's task can be polled twice, even at the same time (its
 * claim lapsed while the first poll ran, or an acknowledgement was lost): the change it finds is
 * stored once.
 */
class DuplicateDeliveryTest extends PipelineTest {

    @Autowired
    private Poller poller;
    @Autowired
    private JdbcClient jdbc;

    private Api alice;

    @BeforeEach
    void user() {
        alice = api().as(createUser("alice"));
    }

    @Test
    void twoDeliveriesOfOneFireAtOnceStoreAndRecordItOnce() throws Exception {
        upstream.route("/same", n -> Answer.json("{\"v\":1}").after(500));
        Api.Response created = alice.post("/api/v1/jobs", "{\"url\":\"%s\",\"interval\":\"1h\",\"active\":false}"
                .formatted(upstream.url("/same")));
        UUID job = UUID.fromString(created.json().get("id").asString());
        Instant fired = Instant.now().truncatedTo(ChronoUnit.MICROS);
        PollTask task = PollTask.fire(job, fired, true, fired);

        try (var deliveries = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<TaskHandler.Result> first = deliveries.submit(() -> poller.poll(task));
            Future<TaskHandler.Result> second = deliveries.submit(() -> poller.poll(task));
            assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo(TaskHandler.DONE);
            assertThat(second.get(30, TimeUnit.SECONDS)).isEqualTo(TaskHandler.DONE);
        }

        assertThat(upstream.mostAtOnce("/same")).as("both polls were in flight together").isEqualTo(2);
        assertThat(jdbc.sql("SELECT count(*) FROM versions WHERE job_id = :id").param("id", job).query(Integer.class).single())
                .isEqualTo(1);
        assertThat(jdbc.sql("SELECT count(*) FROM bodies WHERE job_id = :id").param("id", job).query(Integer.class).single())
                .isEqualTo(1);
        var stats = alice.get("/api/v1/jobs/" + job).json().get("stats");
        assertThat(stats.get("polls").asLong()).as("the fire's poll, recorded once: the second found the fire done").isEqualTo(1);
        assertThat(stats.get("changes").asLong()).isEqualTo(1);
        assertThat(jdbc.sql("SELECT count(*) FROM events WHERE job_id = :id").param("id", job).query(Integer.class).single())
                .as("the change reported once").isEqualTo(1);
    }
}
