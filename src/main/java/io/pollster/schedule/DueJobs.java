package io.pollster.schedule;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** The scheduler's view of the jobs table: due times, claimed under row locks. */
@Repository
class DueJobs {

    private static final String CLAIM = """
            SELECT id, next_due_at, next_run_at, interval_ms, cron, jitter_ms, effective_interval_ms
            FROM jobs
            WHERE status = 'ACTIVE'
              AND next_run_at <= :now
            ORDER BY next_run_at
            LIMIT :limit
            FOR UPDATE SKIP LOCKED
            """;

    private static final String ADVANCE = """
            UPDATE jobs
            SET next_due_at = t.due, next_run_at = t.run
            FROM unnest(CAST(:ids AS UUID[]), CAST(:dues AS TIMESTAMPTZ[]), CAST(:runs AS TIMESTAMPTZ[])) AS t(id, due, run)
            WHERE jobs.id = t.id
            """;

    private static final String PARK = """
            UPDATE jobs
            SET status = 'STOPPED', next_due_at = NULL, next_run_at = NULL, last_outcome = 'failed'
            WHERE id = ANY(:ids)
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
                    return new Due(rs.getObject("id", UUID.class), due == null ? runAt : due.toInstant(), runAt,
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
                .param("dues", next.stream().map(n -> Timestamp.from(n.dueAt())).toArray(Timestamp[]::new))
                .param("runs", next.stream().map(n -> Timestamp.from(n.runAt())).toArray(Timestamp[]::new))
                .update();
    }
}
