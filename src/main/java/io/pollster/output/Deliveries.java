package io.pollster.output;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import io.pollster.system.NodeClaims;
import io.pollster.system.NodeId;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * The {@code deliveries} table. A sender claims
 * due deliveries under a lease ({@link #claim}), sends them outside any transaction, then records
 * each outcome fenced by its lease: a sender whose lease lapsed (it was too slow, or presumed dead)
 * changes nothing, and the delivery's next sender owns it.
 *
 * <p>Order: a delivery is due only when no earlier delivery of its job and output is still
 * pending, so a job's events reach each output in order, across retries and nodes. Only a lane's
 * head is armed (due at a real time); the ones behind it wait due at infinity, out of the claim's
 * way, and the head arms the next when it is done ({@link #armNext}), both under the output's row
 * lock, so a delivery made while its head finishes is never missed. {@link #armStalled} is the
 * safety net for a lane left unarmed anyway (a row of an older release, a manual change).
 *
 * <p>A claim records the claiming node ({@code leased_by}): when the cluster finds that node dead,
 * its leases are released at once ({@link NodeClaims}) rather than when they run out.
 */
@Repository
class Deliveries implements NodeClaims {

    /**
     * The heads of the lanes that are due, leased for one attempt. A lane's head being sent by
     * another sender is leased, and holds its lane back: the NOT EXISTS sees it pending.
     */
    private static final String CLAIM = """
            WITH due AS (
                SELECT d.id
                FROM deliveries d
                WHERE d.state = 'pending'
                  AND d.next_attempt_at <= now()
                  AND (d.leased_until IS NULL OR d.leased_until < now())
                  AND NOT EXISTS (
                      SELECT 1
                      FROM deliveries p
                      WHERE p.job_id = d.job_id AND p.output = d.output AND p.state = 'pending' AND p.id < d.id)
                ORDER BY d.next_attempt_at, d.id
                LIMIT :limit
                FOR UPDATE OF d SKIP LOCKED
            )
            UPDATE deliveries d
            SET lease = :lease, leased_until = now() + make_interval(secs => :leaseSeconds), leased_by = :node,
                attempts = d.attempts + 1
            FROM due, events e, jobs j
            WHERE d.id = due.id AND e.seq = d.event_seq AND j.id = d.job_id
            RETURNING d.id, d.job_id, d.output, d.attempts, d.event_seq, e.id AS event_id, e.type, e.occurred_at,
                      CAST(e.data AS TEXT) AS data, j.owner_id, CAST(j.spec -> 'outputs' -> d.output AS TEXT) AS definition,
                      (SELECT o.secret FROM job_outputs o WHERE o.job_id = d.job_id AND o.output = d.output) AS secret
            """;

    /** Back to the lane without spending an attempt: its output's rate said not yet. */
    private static final String POSTPONE = """
            UPDATE deliveries
            SET next_attempt_at = :at, lease = NULL, leased_until = NULL, attempts = attempts - 1
            WHERE id = :id AND lease = :lease
            """;

    private static final String DELIVERED = """
            UPDATE deliveries
            SET state = 'delivered', finished_at = now(), last_status = :status, last_error = NULL, lease = NULL,
                leased_until = NULL
            WHERE id = :id AND lease = :lease
            """;

    private static final String RETRY = """
            UPDATE deliveries
            SET next_attempt_at = :at, last_status = :status, last_error = :error, lease = NULL, leased_until = NULL
            WHERE id = :id AND lease = :lease
            """;

    private static final String FAILED = """
            UPDATE deliveries
            SET state = 'failed', finished_at = now(), last_status = :status, last_error = :error, lease = NULL,
                leased_until = NULL
            WHERE id = :id AND lease = :lease
            """;

    /** The rest of a stopped output's lane: nothing more goes to it. */
    private static final String FAIL_LANE = """
            UPDATE deliveries
            SET state = 'failed', finished_at = now(), last_error = :error, lease = NULL, leased_until = NULL
            WHERE job_id = :jobId AND output = :output AND state = 'pending'
            """;

    /** The lane's output, locked as a new event's transaction locks it ({@link EventLog}). */
    private static final String LOCK_OUTPUT = """
            SELECT output
            FROM job_outputs
            WHERE job_id = :jobId AND output = :output
            FOR UPDATE
            """;

    /** The lane's next pending delivery becomes due, if it waits unarmed. */
    private static final String ARM_NEXT = """
            UPDATE deliveries
            SET next_attempt_at = now()
            WHERE id = (
                SELECT min(id)
                FROM deliveries
                WHERE job_id = :jobId AND output = :output AND state = 'pending')
              AND next_attempt_at = CAST('infinity' AS TIMESTAMPTZ)
            """;

    /**
     * Heads left unarmed by a race between a new delivery and its lane's head finishing: one pass
     * over the pending deliveries in lane order (the lane index), not a probe per waiting one.
     */
    private static final String ARM_STALLED = """
            WITH heads AS (
                SELECT DISTINCT ON (job_id, output) id, next_attempt_at
                FROM deliveries
                WHERE state = 'pending'
                ORDER BY job_id, output, id
            )
            UPDATE deliveries d
            SET next_attempt_at = now()
            FROM heads h
            WHERE d.id = h.id AND h.next_attempt_at = CAST('infinity' AS TIMESTAMPTZ)
              AND d.state = 'pending' AND d.next_attempt_at = CAST('infinity' AS TIMESTAMPTZ)
            """;

    /** The lanes of these jobs with more than {@code :max} deliveries pending (by the lane index). */
    private static final String CROWDED_LANES = """
            SELECT d.job_id, d.output, j.owner_id
            FROM deliveries d
            JOIN jobs j ON j.id = d.job_id
            WHERE d.job_id = ANY(:ids) AND d.state = 'pending'
            GROUP BY d.job_id, d.output, j.owner_id
            HAVING count(*) > :max
            ORDER BY d.job_id, d.output
            """;

    /**
     * The oldest waiting delivery of the lane that stays when it keeps {@code :max} pending: those
     * armed or in flight first, then the newest waiting ones. With none of those (as many armed
     * as {@code :max}), one past the lane's newest: what comes after this count is never dropped.
     */
    private static final String KEPT_FROM = """
            WITH lane AS (
                SELECT id, next_attempt_at = CAST('infinity' AS TIMESTAMPTZ) AND lease IS NULL AS waiting
                FROM deliveries
                WHERE job_id = :jobId AND output = :output AND state = 'pending'
            ), ranked AS (
                SELECT id, waiting, row_number() OVER (ORDER BY waiting, id DESC) AS rank
                FROM lane
            )
            SELECT coalesce(min(id) FILTER (WHERE waiting AND rank <= :max), max(id) + 1)
            FROM ranked
            """;

    /**
     * Fails the lane's oldest waiting deliveries before {@code :keptFrom}, up to a limit, and says
     * how many and the first and last of their events. Waiting is checked again on each row as it
     * is updated: one armed (by its head finishing) or leased (with its head, for a file) meanwhile stays.
     */
    private static final String DROP_WAITING = """
            WITH doomed AS (
                SELECT id
                FROM deliveries
                WHERE job_id = :jobId AND output = :output AND state = 'pending' AND id < :keptFrom
                  AND next_attempt_at = CAST('infinity' AS TIMESTAMPTZ) AND lease IS NULL
                ORDER BY id
                LIMIT :limit
            ), dropped AS (
                UPDATE deliveries d
                SET state = 'failed', finished_at = now(), last_error = :error
                FROM doomed
                WHERE d.id = doomed.id
                  AND d.state = 'pending' AND d.next_attempt_at = CAST('infinity' AS TIMESTAMPTZ) AND d.lease IS NULL
                RETURNING d.event_seq
            )
            SELECT count(*) AS dropped,
                   (SELECT e.id FROM events e WHERE e.seq = (SELECT min(event_seq) FROM dropped)) AS oldest,
                   (SELECT e.id FROM events e WHERE e.seq = (SELECT max(event_seq) FROM dropped)) AS newest
            FROM dropped
            """;

    /** The lane's output, locked like {@link #LOCK_OUTPUT}, unless another transaction holds it. */
    private static final String TRY_LOCK_OUTPUT = """
            SELECT output
            FROM job_outputs
            WHERE job_id = :jobId AND output = :output
            FOR UPDATE SKIP LOCKED
            """;

    /** A dead delivery pending again, first in its lane (the lane is ordered by id). */
    private static final String REPLAY = """
            UPDATE deliveries
            SET state = 'pending', attempts = 0, next_attempt_at = now(), finished_at = NULL, lease = NULL,
                leased_until = NULL
            WHERE id = :id AND state = 'failed'
            """;

    /** The pending deliveries of a lane, up to a limit: whether a batch of that size is ready. */
    private static final String LANE_SIZE = """
            SELECT count(*)
            FROM (
                SELECT 1
                FROM deliveries
                WHERE job_id = :jobId AND output = :output AND state = 'pending'
                LIMIT :limit) lane
            """;

    /**
     * The deliveries after a leased head of its lane, for the head's lease: a batch sent together.
     * Nothing else leases a lane's later deliveries, so they come in one unbroken run.
     */
    private static final String CLAIM_LANE = """
            WITH lane AS (
                SELECT d.id, sum(octet_length(CAST(e.data AS TEXT))) OVER (ORDER BY d.id) AS bytes
                FROM deliveries d
                JOIN events e ON e.seq = d.event_seq
                WHERE d.job_id = :jobId AND d.output = :output AND d.state = 'pending' AND d.id > :head
                ORDER BY d.id
                LIMIT :limit
            ), next AS (
                SELECT id
                FROM deliveries
                WHERE id IN (SELECT id FROM lane WHERE bytes <= :maxBytes)
                ORDER BY id
                FOR UPDATE
            )
            UPDATE deliveries d
            SET lease = :lease, leased_until = now() + make_interval(secs => :leaseSeconds), leased_by = :node
            FROM next, events e
            WHERE d.id = next.id AND e.seq = d.event_seq
            RETURNING d.id, d.attempts, e.id AS event_id, e.type, e.occurred_at, CAST(e.data AS TEXT) AS data
            """;

    private static final String DELIVERED_ALL = """
            UPDATE deliveries
            SET state = 'delivered', finished_at = now(), last_status = NULL, last_error = NULL, lease = NULL,
                leased_until = NULL
            WHERE id = ANY(:ids) AND lease = :lease
            """;

    private static final String RELEASE = """
            UPDATE deliveries
            SET lease = NULL, leased_until = NULL
            WHERE id = ANY(:ids) AND lease = :lease
            """;

    /**
     * The leases of senders found dead, lapsed at once. The attempt stays spent: the webhook may
     * have been sent before its sender died.
     */
    private static final String RELEASE_NODES = """
            UPDATE deliveries
            SET lease = NULL, leased_until = NULL
            WHERE leased_by = ANY(:nodes)
              AND lease IS NOT NULL
            """;

    private final JdbcClient jdbc;
    private final NodeId node;

    Deliveries(JdbcClient jdbc, NodeId node) {
        this.jdbc = jdbc;
        this.node = node;
    }

    @Override
    public int releaseAll(List<String> nodeIds) {
        return jdbc.sql(RELEASE_NODES).param("nodes", nodeIds.toArray(String[]::new)).update();
    }

    /**
     * A delivery leased to a sender.
     *
     * @param definition the output as the job defines it now (JSON), or null when the job no longer has it
     * @param secret     the output's sealed secret, or null
     */
    record Claimed(long id, UUID jobId, int output, int attempt, UUID eventId, String type, Instant occurredAt, String data,
                   UUID ownerId, String definition, byte[] secret, UUID lease) {
    }

    /** Claims up to {@code limit} due deliveries for {@code lease}; the caller's transaction commits the claim. */
    List<Claimed> claim(int limit, Duration lease) {
        UUID token = UUID.randomUUID();
        return jdbc.sql(CLAIM).param("limit", limit).param("lease", token).param("node", node.value()).param("leaseSeconds", lease.toMillis() / 1000.0)
                .query((rs, n) -> new Claimed(rs.getLong("id"), rs.getObject("job_id", UUID.class), rs.getInt("output"),
                        rs.getInt("attempts"), rs.getObject("event_id", UUID.class), rs.getString("type"),
                        rs.getTimestamp("occurred_at").toInstant(), rs.getString("data"), rs.getObject("owner_id", UUID.class),
                        rs.getString("definition"), rs.getBytes("secret"), token))
                .list();
    }

    /** How many deliveries of the head's lane are pending, counting at most {@code limit}. */
    int laneSize(Claimed head, int limit) {
        return jdbc.sql(LANE_SIZE).param("jobId", head.jobId()).param("output", head.output()).param("limit", limit)
                .query(Integer.class).single();
    }

    /**
     * Leases up to {@code limit} deliveries that follow the head in its lane, in order, for the
     * head's lease, as long as their events' data stays within {@code maxBytes}.
     */
    List<Claimed> claimLane(Claimed head, int limit, long maxBytes, Duration lease) {
        return jdbc.sql(CLAIM_LANE).param("jobId", head.jobId()).param("output", head.output()).param("head", head.id())
                .param("limit", limit).param("maxBytes", maxBytes).param("lease", head.lease()).param("node", node.value()).param("leaseSeconds", lease.toMillis() / 1000.0)
                .query((rs, n) -> new Claimed(rs.getLong("id"), head.jobId(), head.output(), rs.getInt("attempts"),
                        rs.getObject("event_id", UUID.class), rs.getString("type"), rs.getTimestamp("occurred_at").toInstant(),
                        rs.getString("data"), head.ownerId(), head.definition(), head.secret(), head.lease()))
                .list().stream().sorted(java.util.Comparator.comparingLong(Claimed::id)).toList();
    }

    /** @return false when the lease had lapsed: another sender owns them now */
    boolean deliveredAll(List<Claimed> batch) {
        return jdbc.sql(DELIVERED_ALL).param("ids", batch.stream().map(Claimed::id).toArray(Long[]::new))
                .param("lease", batch.getFirst().lease()).update() == batch.size() && armNext(batch.getFirst());
    }

    /** Gives back the leases of deliveries that were not sent: they go with their lane's head next time. */
    void release(List<Claimed> batch) {
        if (!batch.isEmpty()) {
            jdbc.sql(RELEASE).param("ids", batch.stream().map(Claimed::id).toArray(Long[]::new))
                    .param("lease", batch.getFirst().lease()).update();
        }
    }

    void postpone(Claimed d, Instant at) {
        jdbc.sql(POSTPONE).param("id", d.id()).param("lease", d.lease()).param("at", Timestamp.from(at)).update();
    }

    /** @return false when the lease had lapsed: another sender owns the delivery now */
    boolean delivered(Claimed d, Integer status) {
        return jdbc.sql(DELIVERED).param("id", d.id()).param("lease", d.lease()).param("status", status).update() == 1
                && armNext(d);
    }

    /**
     * Arms the next delivery of the lane, under the output's lock: a delivery made by a transaction
     * that held it first is seen here; one made after waits for this commit and finds the lane
     * without a head. Always true, so that it chains after an outcome that held.
     */
    private boolean armNext(Claimed d) {
        jdbc.sql(LOCK_OUTPUT).param("jobId", d.jobId()).param("output", d.output()).query(Integer.class).list();
        jdbc.sql(ARM_NEXT).param("jobId", d.jobId()).param("output", d.output()).update();
        return true;
    }

    /** @return how many lanes were stalled */
    int armStalled() {
        return jdbc.sql(ARM_STALLED).update();
    }

    boolean retry(Claimed d, Instant at, Integer status, String error) {
        return jdbc.sql(RETRY).param("id", d.id()).param("lease", d.lease()).param("at", Timestamp.from(at))
                .param("status", status).param("error", error).update() == 1;
    }

    boolean failed(Claimed d, Integer status, String error) {
        return jdbc.sql(FAILED).param("id", d.id()).param("lease", d.lease()).param("status", status).param("error", error)
                .update() == 1 && armNext(d);
    }

    /** The output was stopped: the rest of its lane fails, with {@code reason}. */
    void failLane(UUID jobId, int output, String reason) {
        jdbc.sql(FAIL_LANE).param("jobId", jobId).param("output", output).param("error", reason).update();
    }

    /** A job's output: a lane of deliveries. */
    record Lane(UUID jobId, int output, UUID ownerId) {
    }

    /** The lanes of these jobs with more than {@code max} deliveries pending. */
    List<Lane> crowded(List<UUID> jobIds, int max) {
        return jdbc.sql(CROWDED_LANES).param("ids", jobIds.toArray(UUID[]::new)).param("max", max)
                .query((rs, n) -> new Lane(rs.getObject("job_id", UUID.class), rs.getInt("output"),
                        rs.getObject("owner_id", UUID.class))).list();
    }

    /** The id from which the lane's waiting deliveries stay when it keeps {@code max} pending. */
    long keptFrom(Lane lane, int max) {
        Long from = jdbc.sql(KEPT_FROM).param("jobId", lane.jobId()).param("output", lane.output()).param("max", max)
                .query(Long.class).single();
        return from == null ? 0 : from; // null: nothing pending any more
    }

    /** What one {@link #dropWaiting} failed: how many, and the events of the first and last. */
    record Dropped(int count, UUID oldestEvent, UUID newestEvent) {
    }

    /**
     * Fails up to {@code limit} of the lane's waiting deliveries before {@code keptFrom}, oldest
     * first, with {@code error}, in the caller's transaction, which first takes the output's lock
     * (as a head's outcome and a new event do), or drops nothing when another transaction holds it.
     */
    Dropped dropWaiting(Lane lane, long keptFrom, int limit, String error) {
        if (jdbc.sql(TRY_LOCK_OUTPUT).param("jobId", lane.jobId()).param("output", lane.output()).query(Integer.class).list().isEmpty()) {
            return new Dropped(0, null, null);
        }
        Dropped dropped = jdbc.sql(DROP_WAITING).param("jobId", lane.jobId()).param("output", lane.output())
                .param("keptFrom", keptFrom).param("limit", limit).param("error", error)
                .query((rs, n) -> new Dropped(rs.getInt("dropped"), rs.getObject("oldest", UUID.class),
                        rs.getObject("newest", UUID.class)))
                .single();
        if (dropped.count() > 0) {
            // a head left unarmed by a race, dropped, leaves the next one to arm
            jdbc.sql(ARM_NEXT).param("jobId", lane.jobId()).param("output", lane.output()).update();
        }
        return dropped;
    }

    /** @return false when the delivery is not failed (replayed already, or gone with its job) */
    boolean replay(long id) {
        return jdbc.sql(REPLAY).param("id", id).update() == 1;
    }
}
