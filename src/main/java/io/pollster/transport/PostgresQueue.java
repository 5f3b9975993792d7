package io.pollster.transport;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

import io.pollster.system.Ids;
import io.pollster.system.NodeId;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

/** The SQL of one queue consumer: claim, acknowledge, retry, dead-letter, extend, hand back. */
final class PostgresQueue {

    /**
     * {@code id = ANY(ARRAY(…))}, not {@code id IN (…)}: the batch is taken once (an InitPlan) and
     * the rows are updated by primary key, whatever plan PostgreSQL caches for this server-prepared
     * statement. {@code IN} leaves the join to the cached generic plan; the benchmark harness saw
     * that plan turn into a semi-join over a sequential scan after the table had been analyzed
     * empty, stalling for minutes once a burst filled it.
     */
    private static final String CLAIM = """
            UPDATE queue_tasks
            SET visible_at = :until, attempts = attempts + 1, leased_by = :node
            WHERE id = ANY(ARRAY(
                SELECT id
                FROM queue_tasks
                WHERE queue = :queue
                  AND visible_at <= :now
                ORDER BY visible_at
                LIMIT :limit
                FOR UPDATE SKIP LOCKED))
            RETURNING id, payload, attempts
            """;

    /** Every write below checks the claim is still ours: a lapsed or handed-back task belongs to someone else. */
    private static final String ACK = """
            DELETE FROM queue_tasks
            WHERE id = ANY(:ids)
              AND leased_by = :node
            """;

    private static final String RETRY = """
            UPDATE queue_tasks
            SET visible_at = :visibleAt, leased_by = NULL, last_error = :error
            WHERE id = :id
              AND leased_by = :node
              AND attempts = :attempt
            """;

    private static final String EXTEND = """
            UPDATE queue_tasks
            SET visible_at = :until
            WHERE id = ANY(:ids)
              AND leased_by = :node
            """;

    private static final String HAND_BACK = """
            UPDATE queue_tasks
            SET visible_at = :now, leased_by = NULL, attempts = GREATEST(attempts - 1, 0)
            WHERE id = ANY(:ids)
              AND leased_by = :node
            """;

    private static final String DEAD_LETTER = """
            INSERT INTO dead_letters (id, type, job_id, owner_id, queue, payload, error, attempts, failed_at)
            SELECT :id, :type, :jobId, :ownerId, queue, payload, :error, attempts, :now
            FROM queue_tasks
            WHERE id = :taskId
              AND leased_by = :node
              AND attempts = :attempt
            """;

    private static final String DELETE_LEASED = """
            DELETE FROM queue_tasks
            WHERE id = :id
              AND leased_by = :node
              AND attempts = :attempt
            """;

    private final JdbcClient jdbc;
    private final TransactionTemplate tx;
    private final Clock clock;
    private final NodeId node;

    PostgresQueue(JdbcClient jdbc, TransactionTemplate tx, Clock clock, NodeId node) {
        this.jdbc = jdbc;
        this.tx = tx;
        this.clock = clock;
        this.node = node;
    }

    record Claimed(long id, byte[] payload, int attempts) {
    }

    List<Claimed> claim(String queue, int limit, Duration visibility) {
        var now = clock.instant();
        return jdbc.sql(CLAIM)
                .param("queue", queue)
                .param("now", Timestamp.from(now))
                .param("until", Timestamp.from(now.plus(visibility)))
                .param("node", node.value())
                .param("limit", limit)
                .query((rs, n) -> new Claimed(rs.getLong("id"), rs.getBytes("payload"), rs.getInt("attempts")))
                .list();
    }

    void acknowledge(List<Long> ids) {
        if (!ids.isEmpty()) {
            jdbc.sql(ACK).param("ids", ids.toArray(Long[]::new)).param("node", node.value()).update();
        }
    }

    void retry(long id, int attempt, Duration delay, String error) {
        jdbc.sql(RETRY)
                .param("id", id)
                .param("attempt", attempt)
                .param("node", node.value())
                .param("visibleAt", Timestamp.from(clock.instant().plus(delay)))
                .param("error", truncate(error))
                .update();
    }

    /** Moves the task to the dead letters, in one transaction: it is in exactly one of the two. Returns whether it moved. */
    boolean deadLetter(long id, int attempt, TaskHandler.DeadLetterInfo info, String error) {
        return Boolean.TRUE.equals(tx.execute(status -> {
            int moved = jdbc.sql(DEAD_LETTER)
                    .param("id", Ids.next())
                    .param("type", info.type())
                    .param("jobId", info.jobId())
                    .param("ownerId", info.ownerId())
                    .param("error", truncate(error))
                    .param("now", Timestamp.from(clock.instant()))
                    .param("taskId", id)
                    .param("node", node.value())
                    .param("attempt", attempt)
                    .update();
            if (moved == 1) {
                jdbc.sql(DELETE_LEASED).param("id", id).param("node", node.value()).param("attempt", attempt).update();
            }
            return moved == 1;
        }));
    }

    void extend(List<Long> ids, Duration visibility) {
        if (!ids.isEmpty()) {
            jdbc.sql(EXTEND)
                    .param("ids", ids.toArray(Long[]::new))
                    .param("until", Timestamp.from(clock.instant().plus(visibility)))
                    .param("node", node.value())
                    .update();
        }
    }

    void handBack(List<Long> ids) {
        if (!ids.isEmpty()) {
            jdbc.sql(HAND_BACK)
                    .param("ids", ids.toArray(Long[]::new))
                    .param("now", Timestamp.from(clock.instant()))
                    .param("node", node.value())
                    .update();
        }
    }


    private static String truncate(String error) {
        if (error == null) {
            return "unknown error";
        }
        return error.length() > 2000 ? error.substring(0, 2000) : error;
    }
}
