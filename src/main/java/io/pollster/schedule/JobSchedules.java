package io.pollster.schedule;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import io.pollster.system.EpochMicros;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * {@code job_schedules}, a job's due times: the one writer of that table. The scheduler claims
 * and advances due jobs under row locks; the job API writes a job's schedule with its definition;
 * run requests and adaptive intervals land here too.
 */
@Repository
public class JobSchedules {

    private static final String INSERT = """
            INSERT INTO job_schedules (job_id, interval_ms, cron, jitter_ms, effective_interval_ms, next_due_at, next_run_at)
            VALUES (:id, :intervalMs, :cron, :jitterMs, :effectiveMs, :nextDueAt, :nextRunAt)
            """;

    /** A requested run keeps its place: a new schedule moves it no later than it was. */
    private static final String FOLLOW = """
            UPDATE job_schedules
            SET interval_ms = :intervalMs, cron = :cron, jitter_ms = :jitterMs, effective_interval_ms = :effectiveMs,
                next_due_at = CASE WHEN :reschedule THEN :nextDueAt ELSE next_due_at END,
                next_run_at = CASE WHEN NOT :reschedule THEN next_run_at
                                   WHEN run_requested THEN LEAST(next_run_at, CAST(:nextRunAt AS TIMESTAMPTZ))
                                   ELSE :nextRunAt END
            WHERE job_id = :id
            """;

    /**
     * Only active jobs (and jobs with a run requested) have a {@code next_run_at}. The job's poll
     * state is joined for one column, whether the last fire's poll is over: a read, never a lock,
     * so polls recording and fires never wait for each other.
     */
    private static final String CLAIM = """
            SELECT s.job_id, s.next_due_at, s.next_run_at, s.interval_ms, s.cron, s.jitter_ms, s.effective_interval_ms,
                   s.fired_at, s.run_requested, p.done_fire_at
            FROM job_schedules s
            JOIN job_polls p ON p.job_id = s.job_id
            WHERE s.next_run_at <= :now
            ORDER BY s.next_run_at
            LIMIT :limit
            FOR UPDATE OF s SKIP LOCKED
            """;

    /**
     * Times travel as epoch microseconds: pgjdbc sends a {@code long[]} in binary, a
     * {@code Timestamp[]} as formatted text. {@link #NONE} stands for NULL (a stopped job's due time).
     */
    private static final String ADVANCE = """
            UPDATE job_schedules
            SET next_due_at = TIMESTAMPTZ 'epoch' + NULLIF(t.due, :none) * INTERVAL '1 microsecond',
                next_run_at = TIMESTAMPTZ 'epoch' + NULLIF(t.run, :none) * INTERVAL '1 microsecond',
                fired_at = CASE WHEN t.fired THEN :now ELSE job_schedules.fired_at END,
                run_requested = t.requested
            FROM unnest(CAST(:ids AS UUID[]), CAST(:dues AS BIGINT[]), CAST(:runs AS BIGINT[]), CAST(:fired AS BOOLEAN[]),
                        CAST(:requested AS BOOLEAN[])) AS t(id, due, run, fired, requested)
            WHERE job_schedules.job_id = t.id
            """;

    private static final String NEXT_RUN = """
            SELECT next_run_at
            FROM job_schedules
            WHERE next_run_at IS NOT NULL
            ORDER BY next_run_at
            LIMIT 1
            """;

    /** LEAST ignores NULL: a stopped job (no next run) becomes due now too. */
    private static final String REQUEST_RUN = """
            UPDATE job_schedules
            SET run_requested = true,
                next_run_at = LEAST(next_run_at, :now)
            WHERE job_id = :id
            """;

    /**
     * An adaptive job's next interval, kept only if the definition is still the one the poll ran
     * with: a PATCH since then wins.
     */
    private static final String ADAPT = """
            UPDATE job_schedules s
            SET effective_interval_ms = t.ms
            FROM unnest(CAST(:ids AS UUID[]), CAST(:ms AS BIGINT[]), CAST(:versions AS BIGINT[])) AS t(id, ms, version)
            JOIN jobs j ON j.id = t.id AND j.version = t.version
            WHERE s.job_id = t.id
            """;

    private static final String UNSCHEDULE = """
            UPDATE job_schedules
            SET next_due_at = NULL, next_run_at = NULL, run_requested = false
            WHERE job_id = ANY(:ids)
            """;

    private static final long NONE = Long.MIN_VALUE;

    private final JdbcClient jdbc;
    private final Clock clock;

    JobSchedules(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** The schedule of a new job. */
    public void insert(UUID jobId, JobSchedule schedule) {
        bind(jdbc.sql(INSERT), schedule).param("id", jobId).update();
    }

    /**
     * The schedule follows an edited definition.
     *
     * @param reschedule whether its due times change too (a new schedule, a start or a stop)
     */
    public void follow(UUID jobId, JobSchedule schedule, boolean reschedule) {
        bind(jdbc.sql(FOLLOW), schedule).param("id", jobId).param("reschedule", reschedule).update();
    }

    /**
     * "Poll this job now" ({@code POST /jobs/{id}/run}, a replayed poll): a flag that the scheduler
     * turns into one fire as soon as no poll of the job is in flight. Requests coalesce: a thousand
     * of them while a poll runs cost one more poll, not a thousand. Returns false when the job does
     * not exist.
     */
    public boolean requestRun(UUID jobId) {
        return jdbc.sql(REQUEST_RUN).param("id", jobId).param("now", Timestamp.from(clock.instant())).update() == 1;
    }

    /** The next intervals of adaptive jobs, each kept only if its job is still at the definition version given. */
    public void adapt(List<UUID> jobIds, long[] intervalsMs, long[] definitionVersions) {
        if (!jobIds.isEmpty()) {
            jdbc.sql(ADAPT)
                    .param("ids", jobIds.toArray(UUID[]::new))
                    .param("ms", intervalsMs)
                    .param("versions", definitionVersions)
                    .update();
        }
    }

    /** The jobs fire no more (until their schedule is written again). */
    public void unschedule(List<UUID> jobIds) {
        if (!jobIds.isEmpty()) {
            jdbc.sql(UNSCHEDULE).param("ids", jobIds.toArray(UUID[]::new)).update();
        }
    }

    private static JdbcClient.StatementSpec bind(JdbcClient.StatementSpec statement, JobSchedule s) {
        return statement
                .param("intervalMs", s.intervalMs())
                .param("cron", s.cron())
                .param("jitterMs", s.jitterMs())
                .param("effectiveMs", s.effectiveMs())
                .param("nextDueAt", s.nextDueAt() == null ? null : Timestamp.from(s.nextDueAt()))
                .param("nextRunAt", s.nextRunAt() == null ? null : Timestamp.from(s.nextRunAt()));
    }

    /**
     * A claimed job.
     *
     * @param dueAt        the grid time the job is due at; null for a stopped job run on request
     * @param runAt        when it was to fire (its due time plus jitter, or when a run was requested)
     * @param firedAt      the job's last fire, or null
     * @param lastFireDone whether that fire's poll is over (done marks only move forward: a later one covers it)
     */
    record Due(UUID id, Instant dueAt, Instant runAt, Schedule schedule, Duration jitter, Instant firedAt,
               boolean lastFireDone, boolean runRequested) {

        /** Its last fire's poll may still be running: it has not been marked done, and has not run out its lease. */
        boolean inFlight(Instant now, Duration lease) {
            return firedAt != null && !lastFireDone && firedAt.plus(lease).isAfter(now);
        }
    }

    /**
     * @param dueAt   the next grid time, null for none (a stopped job)
     * @param runAt   when to fire next, null for never
     * @param fired   whether this claim fired the job (stamping the fire)
     */
    record Next(UUID id, Instant dueAt, Instant runAt, boolean fired, boolean runRequested) {
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
                    Timestamp fired = rs.getTimestamp("fired_at");
                    Timestamp done = rs.getTimestamp("done_fire_at");
                    return new Due(rs.getObject("job_id", UUID.class), due == null ? null : due.toInstant(),
                            rs.getTimestamp("next_run_at").toInstant(), schedule, Duration.ofMillis(rs.getLong("jitter_ms")),
                            fired == null ? null : fired.toInstant(), fired != null && done != null && !done.before(fired),
                            rs.getBoolean("run_requested"));
                })
                .list();
    }

    /** Moves the claimed jobs on; those {@link Next#fired() fired} are stamped with {@code now}, their fire's identity. */
    void advance(List<Next> next, Instant now) {
        if (next.isEmpty()) {
            return;
        }
        boolean[] fired = new boolean[next.size()];
        boolean[] requested = new boolean[next.size()];
        for (int i = 0; i < fired.length; i++) {
            fired[i] = next.get(i).fired();
            requested[i] = next.get(i).runRequested();
        }
        jdbc.sql(ADVANCE)
                .param("ids", next.stream().map(Next::id).toArray(UUID[]::new))
                .param("dues", next.stream().mapToLong(n -> micros(n.dueAt())).toArray())
                .param("runs", next.stream().mapToLong(n -> micros(n.runAt())).toArray())
                .param("fired", fired)
                .param("requested", requested)
                .param("none", NONE)
                .param("now", Timestamp.from(now))
                .update();
    }

    /** When the next active job is due to run, if any: an idle scheduler sleeps until then, not longer. */
    Optional<Instant> nextRunAt() {
        // no row when nothing is scheduled (min() would answer one NULL, which single() refuses)
        return jdbc.sql(NEXT_RUN).query(Timestamp.class).optional().map(Timestamp::toInstant);
    }

    private static long micros(Instant instant) {
        return instant == null ? NONE : EpochMicros.of(instant);
    }
}
