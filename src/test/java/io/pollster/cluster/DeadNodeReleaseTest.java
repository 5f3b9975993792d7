package io.pollster.cluster;

import java.time.Duration;

import io.pollster.support.Api;
import io.pollster.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The heartbeat round of every live node finds a node whose heartbeat is older than
 * {@code dead-after} and releases what that node held — and only that: a live node's claims and
 * row stay as they are.
 */
class DeadNodeReleaseTest extends IntegrationTest {

    /** No consumer in any test context takes this queue's tasks. */
    private static final String QUEUE = "test.dead-node";

    @Autowired
    private JdbcClient jdbc;

    @Test
    void onlyTheDeadNodesQueueTasksAndDeliveriesAreReleased() {
        Api alice = api().as(createUser("alice"));
        Api.Response job = alice.post("/api/v1/jobs", "{\"url\":\"https://example.com/a\",\"interval\":\"1h\"}");
        assertThat(job.status()).as(job.toString()).isEqualTo(201);
        String jobId = job.json().get("id").asString();

        jdbc.sql("""
                INSERT INTO nodes (id, roles, started_at, last_heartbeat_at)
                VALUES ('dead-node', 'poller', now() - interval '1 hour', now() - interval '1 minute'),
                       ('live-node', 'poller', now() - interval '1 hour', now() + interval '1 hour')
                """).update();
        // claimed for two more minutes, as a poll task's visibility timeout would keep them
        jdbc.sql("""
                INSERT INTO queue_tasks (queue, payload, attempts, visible_at, enqueued_at, leased_by)
                VALUES (:queue, '\\x01', 1, now() + interval '2 minutes', now(), 'dead-node'),
                       (:queue, '\\x02', 1, now() + interval '2 minutes', now(), 'dead-node'),
                       (:queue, '\\x03', 1, now() + interval '2 minutes', now(), 'live-node')
                """).param("queue", QUEUE).update();
        jdbc.sql("""
                INSERT INTO events (id, job_id, owner_id, type, occurred_at, data)
                SELECT gen_random_uuid(), j.id, j.owner_id, 'job.changed', now(), '{}'
                FROM jobs j, generate_series(1, 2)
                WHERE j.id = CAST(:job AS UUID)
                """).param("job", jobId).update();
        // due in an hour: no sender of any test context takes them once released
        jdbc.sql("""
                INSERT INTO deliveries (event_seq, job_id, output, attempts, next_attempt_at, lease, leased_until, leased_by)
                SELECT e.seq, e.job_id, 0, 1, now() + interval '1 hour', gen_random_uuid(), now() + interval '45 seconds',
                       CASE WHEN e.seq = (SELECT min(seq) FROM events) THEN 'dead-node' ELSE 'live-node' END
                FROM events e
                """).update();

        await("the dead node's claims released").atMost(Duration.ofSeconds(10))
                .until(() -> count("SELECT count(*) FROM queue_tasks WHERE queue = :queue AND leased_by IS NULL") == 2
                        && count("SELECT count(*) FROM deliveries WHERE lease IS NULL") == 1);

        assertThat(count("SELECT count(*) FROM queue_tasks WHERE queue = :queue AND leased_by IS NULL AND visible_at <= now()"))
                .as("the dead node's tasks, claimable now").isEqualTo(2);
        assertThat(count("SELECT count(*) FROM queue_tasks WHERE queue = :queue AND attempts = 1"))
                .as("the dead node's attempts stay spent").isEqualTo(3);
        assertThat(jdbc.sql("SELECT leased_by FROM queue_tasks WHERE queue = :queue AND leased_by IS NOT NULL")
                .param("queue", QUEUE).query(String.class).list()).containsExactly("live-node");
        assertThat(count("SELECT count(*) FROM queue_tasks WHERE queue = :queue AND visible_at > now() + interval '1 minute'"))
                .as("the live node's task, still claimed").isEqualTo(1);
        assertThat(jdbc.sql("SELECT leased_by FROM deliveries WHERE lease IS NOT NULL AND leased_until > now()")
                .query(String.class).list()).containsExactly("live-node");
        assertThat(jdbc.sql("SELECT id FROM nodes WHERE id IN ('dead-node', 'live-node')").query(String.class).list())
                .containsExactly("live-node");
    }

    private long count(String sql) {
        var statement = jdbc.sql(sql);
        if (sql.contains(":queue")) {
            statement = statement.param("queue", QUEUE);
        }
        return statement.query(Long.class).single();
    }
}
