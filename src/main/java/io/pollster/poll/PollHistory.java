package io.pollster.poll;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import io.pollster.job.JobEvents;
import io.pollster.job.JobId;
import io.pollster.job.JobStatus;
import io.pollster.schedule.JobSchedules;
import io.pollster.system.EpochMicros;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * A job's poll history and what its polls leave for the next one: {@code job_polls} (the open
 * history entry, counters, validators, latest hash, the last fire's done mark) and {@code polls}
 * (closed entries) — the one writer of both tables. Polls with the same outcome and status fold
 * into the open entry; a different one closes it into {@code polls} first — all in one statement,
 * so an unchanged poll costs exactly one update of a narrow row and no insert, and the quiet polls
 * of many jobs share that statement. The same statement marks the poll's fire done, which lets
 * the scheduler fire the job again.
 */
@Repository
class PollHistory {

    private static final String INSERT = "INSERT INTO job_polls (job_id) VALUES (:id)";

    private static final String FIND_POLL_STATE = """
            SELECT j.owner_id, j.status, j.version, s.effective_interval_ms, p.etag, p.last_modified, p.latest_hash,
                   p.done_fire_at, (p.last_run_at IS NULL OR p.fold_duration_ms > 1000) AS expected_slow, p.consecutive_failures
            FROM job_polls p
            JOIN jobs j ON j.id = p.job_id
            JOIN job_schedules s ON s.job_id = p.job_id
            WHERE p.job_id = :id
            """;

    /**
     * Records polls of distinct jobs, one statement for any number of them. Rows are locked in id
     * order so concurrent batches of several pollers cannot deadlock. Due times skipped since the
     * open entry's last poll stay with it when the poll folds into it or closes it; an entry that
     * opens on a job without history takes those skipped before its first poll. A fire's poll is
     * recorded once: a second poll of a fire already done (two deliveries of one task at once, as a
     * broker's redelivery beside an outbox copy can make) records nothing — the row lock makes the
     * second wait and then see the first's done mark.
     */
    private static final String RECORD = """
            WITH input AS (
                SELECT *
                FROM unnest(CAST(:ids AS UUID[]), CAST(:startedUs AS BIGINT[]), CAST(:durationMs AS BIGINT[]),
                            CAST(:httpStatus AS INT[]), CAST(:outcome AS TEXT[]), CAST(:attempts AS INT[]),
                            CAST(:versionId AS UUID[]), CAST(:error AS TEXT[]), CAST(:validators AS BOOLEAN[]),
                            CAST(:etag AS TEXT[]), CAST(:lastModified AS TEXT[]), CAST(:fireUs AS BIGINT[]),
                            CAST(:cached AS BOOLEAN[]))
                     AS i(id, started_us, duration_ms, http_status, outcome, attempts, version_id, error, validators,
                          etag, last_modified, fire_us, cached)
            ), prev AS (
                SELECT p.job_id, p.fold_count, p.fold_started_at, p.fold_last_at, p.fold_duration_ms, p.fold_http_status,
                       p.fold_outcome, p.fold_attempts, p.fold_version_id, p.fold_error, p.fold_skipped, p.fold_cached,
                       TIMESTAMPTZ 'epoch' + i.started_us * INTERVAL '1 microsecond' AS started_at,
                       (p.fold_count > 0
                        AND i.outcome <> 'changed'
                        AND p.fold_outcome = i.outcome
                        AND p.fold_http_status IS NOT DISTINCT FROM i.http_status
                        AND p.fold_error IS NOT DISTINCT FROM i.error
                        AND p.fold_cached = i.cached) AS same
                FROM job_polls p
                JOIN input i ON i.id = p.job_id
                WHERE NULLIF(i.fire_us, :none) IS NULL
                   OR p.done_fire_at IS NULL
                   OR p.done_fire_at < TIMESTAMPTZ 'epoch' + i.fire_us * INTERVAL '1 microsecond'
                ORDER BY p.job_id
                FOR UPDATE OF p
            ), closed AS (
                INSERT INTO polls (job_id, started_at, last_at, count, duration_ms, http_status, outcome, attempts,
                                   version_id, error, skipped, cached)
                SELECT job_id, fold_started_at, fold_last_at, fold_count, fold_duration_ms, fold_http_status, fold_outcome,
                       fold_attempts, fold_version_id, fold_error, fold_skipped, fold_cached
                FROM prev
                WHERE fold_count > 0
                  AND NOT same
            )
            UPDATE job_polls p
            SET fold_started_at = CASE WHEN v.same THEN p.fold_started_at ELSE v.started_at END,
                fold_last_at = v.started_at,
                fold_count = CASE WHEN v.same THEN p.fold_count + 1 ELSE 1 END,
                fold_duration_ms = i.duration_ms,
                fold_http_status = i.http_status,
                fold_outcome = i.outcome,
                fold_attempts = i.attempts,
                fold_version_id = i.version_id,
                fold_error = i.error,
                fold_cached = i.cached,
                fold_skipped = CASE WHEN v.same OR v.fold_count = 0 THEN p.fold_skipped ELSE 0 END,
                polls = p.polls + 1,
                changes = p.changes + CASE WHEN i.outcome = 'changed' THEN 1 ELSE 0 END,
                failures = p.failures + CASE WHEN i.outcome = 'failed' THEN 1 ELSE 0 END,
                consecutive_failures = CASE WHEN i.outcome = 'failed' THEN p.consecutive_failures + 1 ELSE 0 END,
                last_run_at = v.started_at,
                last_outcome = i.outcome,
                etag = CASE WHEN i.validators THEN i.etag ELSE p.etag END,
                last_modified = CASE WHEN i.validators THEN i.last_modified ELSE p.last_modified END,
                done_fire_at = GREATEST(p.done_fire_at,
                                        TIMESTAMPTZ 'epoch' + NULLIF(i.fire_us, :none) * INTERVAL '1 microsecond')
            FROM prev v
            JOIN input i ON i.id = v.job_id
            WHERE p.job_id = v.job_id
            """;

    /**
     * Due times skipped because the job's previous poll was still in flight, counted on the job's
     * open history entry: no entry opens or closes for them. Locked in id order like the polls.
     */
    private static final String SKIPPED = """
            UPDATE job_polls p
            SET fold_skipped = p.fold_skipped + t.n
            FROM (SELECT job_id FROM job_polls WHERE job_id = ANY(:ids) ORDER BY job_id FOR UPDATE) locked
            JOIN unnest(CAST(:ids AS UUID[]), CAST(:counts AS INT[])) AS t(id, n) ON t.id = locked.job_id
            WHERE p.job_id = locked.job_id
            """;

    /** A fire that made no poll (its job was stopped meanwhile) is over all the same. */
    private static final String SETTLE = """
            UPDATE job_polls
            SET done_fire_at = GREATEST(done_fire_at, :fire)
            WHERE job_id = :id
            """;

    /** Moves the job to the new hash only if nobody else did first (a redelivered or concurrent poll). */
    /** Active jobs past their {@code expectChangeWithin} whose quiet spell is not reported yet; by the partial index. */
    private static final String QUIET = """
            SELECT j.id, CAST(j.spec ->> 'expectChangeWithin' AS TEXT) AS expect, v.id AS version_id,
                   COALESCE(v.fetched_at, j.created_at) AS changed_at
            FROM jobs j
            JOIN job_polls p ON p.job_id = j.id
            LEFT JOIN versions v ON v.id = p.latest_version_id
            WHERE (j.spec ->> 'expectChangeWithin') IS NOT NULL AND j.status = 'ACTIVE'
              AND COALESCE(v.fetched_at, j.created_at) + CAST(j.spec ->> 'expectChangeWithin' AS INTERVAL) < :now
              AND (p.stale_reported_at IS NULL OR p.stale_reported_at < COALESCE(v.fetched_at, j.created_at))
            LIMIT :limit
            """;

    /** Takes a quiet spell's report: of two nodes, one marks it. */
    private static final String MARK_STALE = """
            UPDATE job_polls
            SET stale_reported_at = :now
            WHERE job_id = :id AND (stale_reported_at IS NULL OR stale_reported_at < :changedAt)
              AND latest_version_id IS NOT DISTINCT FROM :versionId
            """;

    private static final String ADVANCE_LATEST = """
            UPDATE job_polls
            SET latest_hash = :hash, latest_version_id = :versionId
            WHERE job_id = :id
              AND latest_hash IS NOT DISTINCT FROM CAST(:previous AS BYTEA)
            """;

    private static final String FORGET_VALIDATORS = """
            UPDATE job_polls
            SET etag = NULL, last_modified = NULL
            WHERE job_id = :id
            """;

    /**
     * The open entry (ranked above every closed one and below the first page's bound) and the
     * closed entries in one statement, so one snapshot: a poll landing meanwhile cannot show up twice.
     */
    private static final String PAGE = """
            SELECT rank, started_at, last_at, count, duration_ms, http_status, outcome, attempts, version_id, error, skipped,
                   cached
            FROM (
                SELECT 9223372036854775806 AS rank, fold_started_at AS started_at, fold_last_at AS last_at,
                       fold_count AS count, fold_duration_ms AS duration_ms, fold_http_status AS http_status,
                       fold_outcome AS outcome, fold_attempts AS attempts, fold_version_id AS version_id,
                       fold_error AS error, fold_skipped AS skipped, fold_cached AS cached
                FROM job_polls
                WHERE job_id = :jobId
                  AND fold_count > 0
                UNION ALL
                SELECT id, started_at, last_at, count, duration_ms, http_status, outcome, attempts, version_id, error, skipped,
                       cached
                FROM polls
                WHERE job_id = :jobId) entries
            WHERE rank < :before
            ORDER BY rank DESC
            LIMIT :limit
            """;

    /**
     * Closed entries beyond the newest {@code :keep} of each job given, each job by its index: the
     * work grows with those jobs' history, never with the whole table's.
     */
    private static final String PRUNE = """
            DELETE FROM polls
            WHERE id IN (SELECT old.id
                         FROM unnest(CAST(:ids AS UUID[])) AS j(id)
                         CROSS JOIN LATERAL (SELECT id
                                             FROM polls
                                             WHERE job_id = j.id
                                             ORDER BY id DESC
                                             OFFSET :keep) old)
            """;

    private static final long NONE = Long.MIN_VALUE;

    private final JdbcClient jdbc;
    private final JobSchedules schedules;

    PollHistory(JdbcClient jdbc, JobSchedules schedules) {
        this.jdbc = jdbc;
        this.schedules = schedules;
    }

    /** A new job starts with no history; in the transaction that creates it. */
    @EventListener
    void created(JobEvents.Created created) {
        jdbc.sql(INSERT).param("id", created.jobId().value()).update();
    }

    /** A changed request makes the validators the old one got meaningless; in the transaction that changes it. */
    @EventListener
    void requestChanged(JobEvents.RequestChanged changed) {
        jdbc.sql(FORGET_VALIDATORS).param("id", changed.jobId().value()).update();
    }

    /** The narrow read a poll makes every time: no definition, no JSON to parse. */
    Optional<PollState> findPollState(JobId id) {
        return jdbc.sql(FIND_POLL_STATE).param("id", id.value()).query((rs, n) -> {
            long effective = rs.getLong("effective_interval_ms");
            Duration effectiveInterval = rs.wasNull() ? null : Duration.ofMillis(effective);
            Timestamp done = rs.getTimestamp("done_fire_at");
            return new PollState(id, rs.getObject("owner_id", UUID.class), JobStatus.valueOf(rs.getString("status")),
                    rs.getLong("version"), effectiveInterval, rs.getString("etag"), rs.getString("last_modified"),
                    rs.getBytes("latest_hash"), done == null ? null : done.toInstant(), rs.getBoolean("expected_slow"),
                    rs.getInt("consecutive_failures"));
        }).optional();
    }

    /** @return false when it recorded nothing: the poll's fire was done already (by another delivery of its task) */
    boolean record(PollRecord poll) {
        return recordAll(List.of(poll)) == 1;
    }

    /**
     * Records polls of distinct jobs in one statement: the quiet polls of many jobs at once.
     *
     * @return how many were recorded (a poll of a fire already done is not)
     * @throws IllegalArgumentException for a job twice
     */
    int recordAll(List<PollRecord> polls) {
        if (polls.isEmpty()) {
            return 0;
        }
        if (polls.stream().map(PollRecord::jobId).distinct().count() != polls.size()) {
            throw new IllegalArgumentException("polls recorded together must be of distinct jobs");
        }
        boolean[] validators = new boolean[polls.size()];
        for (int i = 0; i < validators.length; i++) {
            validators[i] = polls.get(i).validators() != null;
        }
        int recorded = jdbc.sql(RECORD)
                .param("ids", polls.stream().map(p -> p.jobId().value()).toArray(UUID[]::new))
                .param("startedUs", polls.stream().mapToLong(p -> EpochMicros.of(p.startedAt())).toArray())
                .param("durationMs", polls.stream().mapToLong(PollRecord::durationMs).toArray())
                .param("httpStatus", polls.stream().map(PollRecord::httpStatus).toArray(Integer[]::new))
                .param("outcome", polls.stream().map(p -> p.outcome().label()).toArray(String[]::new))
                .param("attempts", polls.stream().mapToInt(PollRecord::attempts).toArray())
                .param("versionId", polls.stream().map(PollRecord::versionId).toArray(UUID[]::new))
                .param("error", polls.stream().map(PollRecord::error).toArray(String[]::new))
                .param("validators", validators)
                .param("etag", polls.stream().map(p -> p.validators() == null ? null : p.validators().etag()).toArray(String[]::new))
                .param("lastModified", polls.stream().map(p -> p.validators() == null ? null : p.validators().lastModified())
                        .toArray(String[]::new))
                .param("fireUs", polls.stream().mapToLong(p -> p.fire() == null ? NONE : EpochMicros.of(p.fire())).toArray())
                .param("cached", cachedFlags(polls))
                .param("none", NONE)
                .update();
        // adaptive jobs only: the others carry no interval to keep and cost no statement
        List<PollRecord> adaptive = polls.stream().filter(p -> p.effectiveMs() != null).toList();
        schedules.adapt(adaptive.stream().map(p -> p.jobId().value()).toList(),
                adaptive.stream().mapToLong(PollRecord::effectiveMs).toArray(),
                adaptive.stream().mapToLong(PollRecord::jobVersion).toArray());
        return recorded;
    }

    private static boolean[] cachedFlags(List<PollRecord> polls) {
        boolean[] cached = new boolean[polls.size()];
        for (int i = 0; i < cached.length; i++) {
            cached[i] = polls.get(i).cached();
        }
        return cached;
    }

    /** Counts skipped due times on each job's open history entry. */
    void skipped(Map<UUID, Integer> countsByJob) {
        if (countsByJob.isEmpty()) {
            return;
        }
        List<Map.Entry<UUID, Integer>> entries = List.copyOf(countsByJob.entrySet());
        jdbc.sql(SKIPPED)
                .param("ids", entries.stream().map(Map.Entry::getKey).toArray(UUID[]::new))
                .param("counts", entries.stream().mapToInt(Map.Entry::getValue).toArray())
                .update();
    }

    /** Marks a fire done that made no poll. */
    void settle(JobId jobId, Instant fire) {
        if (fire != null) {
            jdbc.sql(SETTLE).param("id", jobId.value()).param("fire", Timestamp.from(fire)).update();
        }
    }

    /**
     * Moves the job's latest hash from {@code previous} to {@code hash} (version {@code versionId});
     * false when another poll moved it first. The caller stores the version in the same
     * transaction, so a version is stored once per change, however many polls saw it.
     */
    /**
     * A job quiet past its {@code expectChangeWithin}.
     *
     * @param versionId its newest version, or null
     * @param changedAt when that version came, or when the job was created
     */
    record Quiet(UUID jobId, String expect, UUID versionId, Instant changedAt) {
    }

    List<Quiet> quietPastExpectation(Instant now, int limit) {
        return jdbc.sql(QUIET).param("now", Timestamp.from(now)).param("limit", limit)
                .query((rs, n) -> new Quiet(rs.getObject("id", UUID.class), rs.getString("expect"),
                        rs.getObject("version_id", UUID.class), rs.getTimestamp("changed_at").toInstant()))
                .list();
    }

    /** @return whether this call took the report of the job's quiet spell (false: reported already) */
    boolean markStale(Quiet job, Instant now) {
        // a version stored since the job was found quiet ends that spell: nothing to report
        return jdbc.sql(MARK_STALE).param("id", job.jobId()).param("now", Timestamp.from(now))
                .param("changedAt", Timestamp.from(job.changedAt())).param("versionId", job.versionId()).update() == 1;
    }

    boolean advanceLatest(JobId jobId, byte[] previous, byte[] hash, UUID versionId) {
        return jdbc.sql(ADVANCE_LATEST)
                .param("id", jobId.value())
                .param("hash", hash)
                .param("versionId", versionId)
                .param("previous", previous)
                .update() == 1;
    }

    /** One page of the job's history, newest first: the open entry, then the closed ones. */
    List<Ranked> page(UUID jobId, long before, int limit) {
        return jdbc.sql(PAGE).param("jobId", jobId).param("before", before).param("limit", limit)
                .query((rs, n) -> new Ranked(rs.getLong("rank"), view(rs))).list();
    }

    /** Deletes closed entries beyond the newest {@code keep} of each job; returns how many. */
    int prune(List<UUID> jobIds, int keep) {
        return jobIds.isEmpty() ? 0 : jdbc.sql(PRUNE).param("ids", jobIds.toArray(UUID[]::new)).param("keep", keep).update();
    }

    /** An entry and its place in the history (the cursor of a page). */
    record Ranked(long rank, PollView view) {
    }

    private static PollView view(ResultSet rs) throws SQLException {
        Integer status = rs.getObject("http_status") == null ? null : rs.getInt("http_status");
        return new PollView(rs.getTimestamp("started_at").toInstant(), rs.getLong("duration_ms"), status,
                rs.getString("outcome"), rs.getInt("attempts"), rs.getObject("version_id", UUID.class),
                rs.getString("error"), rs.getInt("count"), rs.getTimestamp("last_at").toInstant(), rs.getInt("skipped"),
                rs.getBoolean("cached"));
    }

    /**
     * @param skipped due times that made no poll because a poll of the job was still running when they
     *                came, counted on the entry that was open then (the last one before that poll's)
     * @param cached  whether the answer came from another poll's call to the same request (a job's {@code cache})
     */
    record PollView(Instant startedAt, long durationMs, Integer httpStatus, String outcome, int attempts,
                    UUID versionId, String error, int count, Instant lastAt, int skipped, boolean cached) {
    }
}
