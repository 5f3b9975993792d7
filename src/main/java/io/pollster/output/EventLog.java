package io.pollster.output;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.pollster.system.Ids;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The {@code events} table: what happened to a job, written in the transaction of what it reports
 * (a version, a poll's outcome), with one pending delivery per output of the job that its receiver
 * has not stopped. Rolled back with it; committed with it. The one writer of {@code events} and
 * the one that makes deliveries: a delivery behind others in its lane waits unarmed (due at
 * infinity) until the one before it is done ({@link Deliveries}).
 */
@Repository
public class EventLog {

    /** Only while the job exists: a late outcome of a deleted job reports nothing. */
    private static final String APPEND = """
            WITH event AS (
                INSERT INTO events (id, job_id, owner_id, type, occurred_at, data)
                SELECT :id, j.id, j.owner_id, :type, :occurredAt, CAST(:data AS JSONB)
                FROM jobs j
                WHERE j.id = :jobId
                RETURNING seq, job_id
            )
            INSERT INTO deliveries (event_seq, job_id, output, next_attempt_at)
            SELECT e.seq, e.job_id, CAST(o.n AS INT) - 1,
                   CASE WHEN EXISTS (
                       SELECT 1
                       FROM deliveries p
                       WHERE p.job_id = e.job_id AND p.output = o.n - 1 AND p.state = 'pending')
                   THEN CAST('infinity' AS TIMESTAMPTZ) ELSE :occurredAt END
            FROM event e
            JOIN jobs j ON j.id = e.job_id
            CROSS JOIN LATERAL jsonb_array_elements(COALESCE(j.spec -> 'outputs', CAST('[]' AS JSONB)))
                WITH ORDINALITY AS o(definition, n)
            WHERE NOT EXISTS (
                SELECT 1
                FROM job_outputs x
                WHERE x.job_id = e.job_id AND x.output = o.n - 1 AND x.stopped_at IS NOT NULL)
            """;

    /**
     * Many events of one job in one statement, in the order given (seq and the deliveries' ids grow
     * with it, so each lane keeps that order); only the first of a lane with nothing pending is
     * armed, as {@link #APPEND} would arm it, and the head arms the rest one after another.
     */
    private static final String APPEND_ALL = """
            WITH event AS (
                INSERT INTO events (id, job_id, owner_id, type, occurred_at, data)
                SELECT t.id, j.id, j.owner_id, t.type, :occurredAt, CAST(t.data AS JSONB)
                FROM jobs j
                CROSS JOIN unnest(CAST(:ids AS UUID[]), CAST(:types AS TEXT[]), CAST(:data AS TEXT[]))
                    WITH ORDINALITY AS t(id, type, data, n)
                WHERE j.id = :jobId
                ORDER BY t.n
                RETURNING seq, job_id
            ),
            ranked AS (
                SELECT seq, job_id, row_number() OVER (ORDER BY seq) AS rank
                FROM event
            )
            INSERT INTO deliveries (event_seq, job_id, output, next_attempt_at)
            SELECT e.seq, e.job_id, CAST(o.n AS INT) - 1,
                   CASE WHEN e.rank = 1 AND NOT EXISTS (
                       SELECT 1
                       FROM deliveries p
                       WHERE p.job_id = e.job_id AND p.output = o.n - 1 AND p.state = 'pending')
                   THEN :occurredAt ELSE CAST('infinity' AS TIMESTAMPTZ) END
            FROM ranked e
            JOIN jobs j ON j.id = e.job_id
            CROSS JOIN LATERAL jsonb_array_elements(COALESCE(j.spec -> 'outputs', CAST('[]' AS JSONB)))
                WITH ORDINALITY AS o(definition, n)
            WHERE NOT EXISTS (
                SELECT 1
                FROM job_outputs x
                WHERE x.job_id = e.job_id AND x.output = o.n - 1 AND x.stopped_at IS NOT NULL)
            ORDER BY e.seq, o.n
            """;

    /**
     * The job's outputs, locked for the rest of the transaction: a delivery's outcome locks its
     * output the same way before it arms the next one, so the two never miss each other (a new
     * delivery behind a head that finishes meanwhile is armed by it, or finds the lane empty).
     */
    private static final String LOCK_OUTPUTS = """
            SELECT output
            FROM job_outputs
            WHERE job_id = :jobId
            ORDER BY output
            FOR UPDATE
            """;

    private static final String PAGE = """
            SELECT seq, id, type, job_id, occurred_at, data
            FROM events
            WHERE job_id = :jobId AND seq > :after
            ORDER BY seq
            LIMIT :limit
            """;

    private static final String DELIVERIES_OF = """
            SELECT event_seq, output, state, attempts, last_status, last_error,
                   CASE WHEN next_attempt_at = CAST('infinity' AS TIMESTAMPTZ) THEN NULL ELSE next_attempt_at END AS next_attempt_at,
                   finished_at
            FROM deliveries
            WHERE event_seq = ANY(:seqs)
            ORDER BY event_seq, output
            """;

    /**
     * Events beyond the newest {@code :keep} of a job, or older than the cutoff, once none of their
     * deliveries is pending, nor failed recently enough for its dead letter to be replayed; their
     * deliveries go with them. A delivery that failed without an attempt (dropped from a crowded
     * lane, or behind an output its receiver stopped) has no dead letter of its own to replay it.
     */
    private static final String PRUNE = """
            WITH ranked AS (
                SELECT seq, occurred_at, row_number() OVER (PARTITION BY job_id ORDER BY seq DESC) AS rank
                FROM events
                WHERE job_id = ANY(:ids)
            )
            DELETE FROM events e
            USING ranked r
            WHERE e.seq = r.seq
              AND (r.rank > :keep OR r.occurred_at < :cutoff)
              AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_seq = e.seq AND d.state = 'pending')
              AND NOT EXISTS (
                  SELECT 1
                  FROM deliveries d
                  WHERE d.event_seq = e.seq AND d.state = 'failed' AND d.attempts > 0 AND d.finished_at >= :replayable)
            """;

    private final JdbcClient jdbc;
    private final JsonMapper json;
    private final DeliveryWakeup wakeup;

    EventLog(JdbcClient jdbc, JsonMapper json, DeliveryWakeup wakeup) {
        this.jdbc = jdbc;
        this.json = json;
        this.wakeup = wakeup;
    }

    /**
     * Records an event of the job in the caller's transaction (there must be one), with its
     * deliveries; once that commits, this process's senders look at once.
     *
     * @param data the event's {@code data}, as JSON
     * @return the event's id
     */
    public UUID append(UUID jobId, EventType type, Instant occurredAt, JsonNode data) {
        UUID id = Ids.next();
        jdbc.sql(LOCK_OUTPUTS).param("jobId", jobId).query(Integer.class).list();
        int deliveries = jdbc.sql(APPEND)
                .param("id", id)
                .param("jobId", jobId)
                .param("type", type.wireName())
                .param("occurredAt", Timestamp.from(occurredAt))
                .param("data", json.writeValueAsString(data))
                .update();
        wakeAfterCommit(deliveries);
        return id;
    }

    /** One event of a batch for {@link #appendAll}. */
    public record NewEvent(EventType type, JsonNode data) {
    }

    /**
     * Records many events of the job, in order, in one statement of the caller's transaction: a
     * page's thousands of item events are one round trip, not one each.
     */
    public void appendAll(UUID jobId, Instant occurredAt, List<NewEvent> batch) {
        if (batch.isEmpty()) {
            return;
        }
        jdbc.sql(LOCK_OUTPUTS).param("jobId", jobId).query(Integer.class).list();
        int deliveries = jdbc.sql(APPEND_ALL)
                .param("jobId", jobId)
                .param("occurredAt", Timestamp.from(occurredAt))
                .param("ids", batch.stream().map(e -> Ids.next()).toArray(UUID[]::new))
                .param("types", batch.stream().map(e -> e.type().wireName()).toArray(String[]::new))
                .param("data", batch.stream().map(e -> json.writeValueAsString(e.data())).toArray(String[]::new))
                .update();
        wakeAfterCommit(deliveries);
    }

    private void wakeAfterCommit(int deliveries) {
        if (deliveries > 0 && TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    wakeup.wake();
                }
            });
        }
    }

    /**
     * Prunes the events of these jobs as versions are pruned: the newest {@code keep} of each job,
     * and none older than {@code cutoff}, stay — and any whose delivery is still pending, or failed
     * after an attempt since {@code replayable} (its dead letter is kept that long, and replays it).
     *
     * @return the events removed
     */
    public int prune(List<UUID> jobIds, int keep, Instant cutoff, Instant replayable) {
        return jdbc.sql(PRUNE).param("ids", jobIds.toArray(UUID[]::new)).param("keep", keep)
                .param("cutoff", Timestamp.from(cutoff)).param("replayable", Timestamp.from(replayable)).update();
    }

    /** An event with how far each of its deliveries has got. */
    public record EventView(@JsonIgnore long seq, UUID id, String type, UUID jobId, Instant occurredAt, JsonNode data,
                            List<DeliveryView> deliveries) {
    }

    /**
     * @param state         {@code pending}, {@code delivered} or {@code failed}
     * @param nextAttemptAt when a pending delivery is tried next; null while one before it in its lane is pending
     * @param finishedAt    when it was delivered or failed for good
     */
    public record DeliveryView(int output, String state, int attempts, Integer lastStatus, String lastError,
                               Instant nextAttemptAt, Instant finishedAt) {
    }

    /** A job's events after {@code afterSeq}, oldest first, at most {@code limit}. */
    List<EventView> page(UUID jobId, long afterSeq, int limit) {
        List<EventView> events = jdbc.sql(PAGE).param("jobId", jobId).param("after", afterSeq).param("limit", limit)
                .query((rs, n) -> new EventView(rs.getLong("seq"), rs.getObject("id", UUID.class), rs.getString("type"),
                        rs.getObject("job_id", UUID.class), rs.getTimestamp("occurred_at").toInstant(),
                        json.readTree(rs.getString("data")), new ArrayList<>()))
                .list();
        if (events.isEmpty()) {
            return events;
        }
        Map<Long, EventView> bySeq = new LinkedHashMap<>();
        events.forEach(e -> bySeq.put(e.seq(), e));
        jdbc.sql(DELIVERIES_OF).param("seqs", bySeq.keySet().toArray(Long[]::new)).query((rs, n) -> {
            Timestamp next = rs.getTimestamp("next_attempt_at");
            Timestamp finished = rs.getTimestamp("finished_at");
            int status = rs.getInt("last_status");
            Integer lastStatus = rs.wasNull() ? null : status;
            String state = rs.getString("state");
            bySeq.get(rs.getLong("event_seq")).deliveries().add(new DeliveryView(rs.getInt("output"), state, rs.getInt("attempts"),
                    lastStatus, rs.getString("last_error"), state.equals("pending") && next != null ? next.toInstant() : null,
                    finished == null ? null : finished.toInstant()));
            return null;
        }).list();
        return events;
    }
}
