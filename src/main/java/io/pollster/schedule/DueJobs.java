package io.pollster.schedule;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** The scheduler's view of the jobs table: due times, claimed under row locks. */
@Repository
class DueJobs {

    /** Only active jobs have a {@code next_run_at}; the narrow schedule rows are all the scheduler touches. */
    private static final String CLAIM = """
            SELECT job_id, next_due_at, next_run_at, interval_ms, cron, jitter_ms, effective_interval_ms
            FROM job_schedules
            WHERE next_run_at <= :now
            ORDER BY next_run_at
            LIMIT :limit
            FOR UPDATE SKIP LOCKED
            """;

    /** Times travel as epoch microseconds: pgjdbc sends a {@code long[]} in binary, a {@code Timestamp[]} as formatted text. */
    private static final String ADVANCE = """
            UPDATE job_schedules
            SET next_due_at = TIMESTAMPTZ 'epoch' + t.due * INTERVAL '1 microsecond',
                next_run_at = TIMESTAMPTZ 'epoch' + t.run * INTERVAL '1 microsecond'
            FROM unnest(CAST(:ids AS UUID[]), CAST(:dues AS BIGINT[]), CAST(:runs AS BIGINT[])) AS t(id, due, run)
            WHERE job_schedules.job_id = t.id
            """;

    private static final String NEXT_RUN = """
            SELECT next_run_at
            FROM job_schedules
            WHERE next_run_at IS NOT NULL
            ORDER BY next_run_at
            LIMIT 1
            """;

    private static final String PARK = """
            WITH parked AS (
                UPDATE job_schedules
                SET next_due_at = NULL, next_run_at = NULL
                WHERE job_id = ANY(:ids)
                RETURNING job_id
            )
            UPDATE jobs
            SET status = 'STOPPED', last_outcome = 'failed'
            FROM parked
            WHERE jobs.id = parked.job_id
            """;

    private final JdbcClient jdbc;

    DueJobs(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    record Due(UUID id, Instant dueAt, Instant runAt, Schedule schedule, Duration jitter) {
    }

    record Next(UUID id, Instant dueAt, Instant runAt) {
    }

    /** Locks up to {@code limit} due jobs for the caller's transaction; others skip them. */
    List<Due> claim(Instant now, int limit) {
        return jdbc.sql(CLAIM)
                .param("now", Timestamp.from(now))
                .param("limit", limit)
                .query((rs, n) -> {
                    long effective = rs.getLong("effective_interval_ms");
                    boolean adaptive = !rs.wasNull();
                    long interval = rs.getLong("interval_ms");
                    Schedule schedule = rs.getString("cron") != null
                            ? new Schedule.Cron(rs.getString("cron"))
                            : new Schedule.Every(Duration.ofMillis(adaptive ? effective : interval));
                    Timestamp due = rs.getTimestamp("next_due_at");
                    Instant runAt = rs.getTimestamp("next_run_at").toInstant();
                    return new Due(rs.getObject("job_id", UUID.class), due == null ? runAt : due.toInstant(), runAt,
                            schedule, Duration.ofMillis(rs.getLong("jitter_ms")));
                })
                .list();
    }

    /** Stops jobs whose schedule cannot say when they fire next, so they never block a batch again. */
    void park(List<UUID> ids) {
        if (!ids.isEmpty()) {
            jdbc.sql(PARK).param("ids", ids.toArray(UUID[]::new)).update();
        }
    }

    void advance(List<Next> next) {
        if (next.isEmpty()) {
            return;
        }
        jdbc.sql(ADVANCE)
                .param("ids", next.stream().map(Next::id).toArray(UUID[]::new))
                .param("dues", next.stream().mapToLong(n -> micros(n.dueAt())).toArray())
                .param("runs", next.stream().mapToLong(n -> micros(n.runAt())).toArray())
                .update();
    }

    /** When the next active job is due to run, if any: an idle scheduler sleeps until then, not longer. */
    Optional<Instant> nextRunAt() {
        // no row when nothing is scheduled (min() would answer one NULL, which single() refuses)
        return jdbc.sql(NEXT_RUN).query(Timestamp.class).optional().map(Timestamp::toInstant);
    }

    private static long micros(Instant instant) {
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
    }
}
