package io.pollster.transport;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

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

    /**
     * Claims of nodes found dead, visible again at once. The attempt stays spent: a task whose
     * handler kills every process that takes it is dead-lettered, not handed round for ever.
     */
    private static final String RELEASE_NODES = """
            UPDATE queue_tasks
            SET visible_at = :now, leased_by = NULL
            WHERE leased_by = ANY(:nodes)
            """;

    /** Put back for later as the handler's new payload; a deferral is not a failed attempt. */
    private static final String LATER = """
            UPDATE queue_tasks
            SET payload = :payload, visible_at = :visibleAt, leased_by = NULL, attempts = GREATEST(attempts - 1, 0)
            WHERE id = :id
              AND leased_by = :node
              AND attempts = :attempt
            """;

    /** Takes the task out of the queue for its dead letter; nothing when the claim is no longer ours. */
    private static final String TAKE_LEASED = """
            DELETE FROM queue_tasks
            WHERE id = :id
              AND leased_by = :node
              AND attempts = :attempt
            RETURNING queue, payload
            """;

    /** Tasks of any queues in one statement: one round trip, atomic without a transaction of its own. */
    private static final String INSERT = """
            INSERT INTO queue_tasks (queue, payload, visible_at, enqueued_at)
            SELECT q, p, :now, :now
            FROM unnest(CAST(:queues AS TEXT[]), CAST(:payloads AS BYTEA[])) AS t(q, p)
            """;

    private static final String STATS = """
            SELECT queue, count(*) AS depth, min(enqueued_at) AS oldest
            FROM queue_tasks
            GROUP BY queue
            ORDER BY queue
            """;

    private final JdbcClient jdbc;
    private final TransactionTemplate tx;
    private final Clock clock;
    private final NodeId node;
    private final DeadLetterSink deadLetters;

    PostgresQueue(JdbcClient jdbc, TransactionTemplate tx, Clock clock, NodeId node, DeadLetterSink deadLetters) {
        this.jdbc = jdbc;
        this.tx = tx;
        this.clock = clock;
        this.node = node;
        this.deadLetters = deadLetters;
    }

    record Claimed(long id, byte[] payload, int attempts) {
    }

    /** Tasks for the queues given, pairwise; in the caller's transaction if there is one. */
    void insert(List<String> queues, List<byte[]> payloads) {
        if (payloads.isEmpty()) {
            return;
        }
        jdbc.sql(INSERT)
                .param("queues", queues.toArray(String[]::new))
                .param("payloads", payloads.toArray(byte[][]::new))
                .param("now", Timestamp.from(clock.instant()))
                .update();
    }

    List<QueueStats> stats() {
        return jdbc.sql(STATS)
                .query((rs, n) -> new QueueStats(rs.getString("queue"), rs.getLong("depth"), rs.getTimestamp("oldest").toInstant()))
                .list();
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

    void later(long id, int attempt, Duration delay, byte[] payload) {
        jdbc.sql(LATER)
                .param("id", id)
                .param("attempt", attempt)
                .param("node", node.value())
                .param("visibleAt", Timestamp.from(clock.instant().plus(delay)))
                .param("payload", payload)
                .update();
    }

    /**
     * Moves the task to the dead letters, in one transaction: it is in exactly one of the two (or
     * in neither, when its job or owner has been deleted meanwhile). Returns false when the claim
     * was no longer ours.
     */
    boolean deadLetter(long id, int attempt, TaskHandler handler, String error) {
        return Boolean.TRUE.equals(tx.execute(status -> {
            var taken = jdbc.sql(TAKE_LEASED)
                    .param("id", id)
                    .param("node", node.value())
                    .param("attempt", attempt)
                    .query((rs, n) -> new Taken(rs.getString("queue"), rs.getBytes("payload")))
                    .optional();
            taken.ifPresent(task -> deadLetters.record(DeadLetterSink.DeadLetter.of(null, handler.abandon(task.payload(), error),
                    task.queue(), task.payload(), error, attempt, clock.instant())));
            return taken.isPresent();
        }));
    }

    private record Taken(String queue, byte[] payload) {
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

    /** Every task these nodes hold, claimable again now; in the caller's transaction. */
    int releaseAll(List<String> nodes) {
        return jdbc.sql(RELEASE_NODES)
                .param("nodes", nodes.toArray(String[]::new))
                .param("now", Timestamp.from(clock.instant()))
                .update();
    }

    private static String truncate(String error) {
        if (error == null) {
            return "unknown error";
        }
        return error.length() > 2000 ? error.substring(0, 2000) : error;
    }
}
