package io.pollster.poll;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import io.pollster.job.JobId;
import io.pollster.system.Ids;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * Writes what a poll found into the job row. Polls with the same outcome and status fold into
 * the job's open history entry; a different one closes it into {@code polls} first — all in one
 * statement, so an unchanged poll costs exactly one row update and no insert.
 */
@Repository
class PollRecorder {

    private static final String RECORD = """
            WITH prev AS (
                SELECT id, fold_count, fold_started_at, fold_last_at, fold_duration_ms, fold_http_status,
                       fold_outcome, fold_attempts, fold_version_id, fold_error,
                       (fold_count > 0
                        AND :outcome <> 'changed'
                        AND fold_outcome = :outcome
                        AND fold_http_status IS NOT DISTINCT FROM CAST(:httpStatus AS INT)
                        AND fold_error IS NOT DISTINCT FROM CAST(:error AS TEXT)) AS same
                FROM jobs
                WHERE id = :id
                FOR UPDATE
            ), closed AS (
                INSERT INTO polls (job_id, started_at, last_at, count, duration_ms, http_status, outcome, attempts,
                                   version_id, error)
                SELECT id, fold_started_at, fold_last_at, fold_count, fold_duration_ms, fold_http_status, fold_outcome,
                       fold_attempts, fold_version_id, fold_error
                FROM prev
                WHERE fold_count > 0
                  AND NOT same
            )
            UPDATE jobs j
            SET fold_started_at = CASE WHEN p.same THEN j.fold_started_at ELSE :startedAt END,
                fold_last_at = :startedAt,
                fold_count = CASE WHEN p.same THEN j.fold_count + 1 ELSE 1 END,
                fold_duration_ms = :durationMs,
                fold_http_status = :httpStatus,
                fold_outcome = :outcome,
                fold_attempts = :attempts,
                fold_version_id = :versionId,
                fold_error = :error,
                polls = j.polls + 1,
                changes = j.changes + CASE WHEN :outcome = 'changed' THEN 1 ELSE 0 END,
                failures = j.failures + CASE WHEN :outcome = 'failed' THEN 1 ELSE 0 END,
                consecutive_failures = CASE WHEN :outcome = 'failed' THEN j.consecutive_failures + 1 ELSE 0 END,
                last_run_at = :startedAt,
                last_outcome = :outcome,
                etag = CASE WHEN :validators THEN :etag ELSE j.etag END,
                last_modified = CASE WHEN :validators THEN :lastModified ELSE j.last_modified END
            FROM prev p
            WHERE j.id = p.id
            """;

    /**
     * {@link #RECORD} for many unchanged or not-modified polls at once (no version, no error, new
     * validators), each of a different job; rows are locked in id order so concurrent batches of
     * several pollers cannot deadlock.
     */
    private static final String RECORD_QUIET = """
            WITH input AS (
                SELECT *
                FROM unnest(CAST(:ids AS UUID[]), CAST(:startedUs AS BIGINT[]), CAST(:durationMs AS BIGINT[]),
                            CAST(:httpStatus AS INT[]), CAST(:outcome AS TEXT[]), CAST(:attempts AS INT[]),
                            CAST(:etag AS TEXT[]), CAST(:lastModified AS TEXT[]))
                     AS i(id, started_us, duration_ms, http_status, outcome, attempts, etag, last_modified)
            ), prev AS (
                SELECT j.id, j.fold_count, j.fold_started_at, j.fold_last_at, j.fold_duration_ms, j.fold_http_status,
                       j.fold_outcome, j.fold_attempts, j.fold_version_id, j.fold_error,
                       (j.fold_count > 0
                        AND j.fold_outcome = i.outcome
                        AND j.fold_http_status IS NOT DISTINCT FROM i.http_status
                        AND j.fold_error IS NULL) AS same
                FROM jobs j
                JOIN input i ON i.id = j.id
                ORDER BY j.id
                FOR UPDATE OF j
            ), closed AS (
                INSERT INTO polls (job_id, started_at, last_at, count, duration_ms, http_status, outcome, attempts,
                                   version_id, error)
                SELECT id, fold_started_at, fold_last_at, fold_count, fold_duration_ms, fold_http_status, fold_outcome,
                       fold_attempts, fold_version_id, fold_error
                FROM prev
                WHERE fold_count > 0
                  AND NOT same
            )
            UPDATE jobs j
            SET fold_started_at = CASE WHEN p.same THEN j.fold_started_at
                                       ELSE TIMESTAMPTZ 'epoch' + i.started_us * INTERVAL '1 microsecond' END,
                fold_last_at = TIMESTAMPTZ 'epoch' + i.started_us * INTERVAL '1 microsecond',
                fold_count = CASE WHEN p.same THEN j.fold_count + 1 ELSE 1 END,
                fold_duration_ms = i.duration_ms,
                fold_http_status = i.http_status,
                fold_outcome = i.outcome,
                fold_attempts = i.attempts,
                fold_version_id = NULL,
                fold_error = NULL,
                polls = j.polls + 1,
                consecutive_failures = 0,
                last_run_at = TIMESTAMPTZ 'epoch' + i.started_us * INTERVAL '1 microsecond',
                last_outcome = i.outcome,
                etag = i.etag,
                last_modified = i.last_modified
            FROM prev p
            JOIN input i ON i.id = p.id
            WHERE j.id = p.id
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

    private static final String DEAD_LETTER = """
            INSERT INTO dead_letters (id, type, job_id, owner_id, queue, payload, error, attempts, failed_at)
            VALUES (:id, 'poll', :jobId, :ownerId, :queue, :payload, :error, :attempts, :now)
            """;

    private final JdbcClient jdbc;

    PollRecorder(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * @param validators   true when the answer's ETag / Last-Modified replace the stored ones
     * @param effectiveMs  the adaptive interval to keep, or null to leave it
     */
    record Poll(JobId jobId, long jobVersion, Instant startedAt, long durationMs, Integer httpStatus, PollOutcome outcome, int attempts,
                UUID versionId, String error, boolean validators, String etag, String lastModified, Long effectiveMs) {
    }

    void record(Poll poll) {
        jdbc.sql(RECORD)
                .param("id", poll.jobId().value())
                .param("startedAt", Timestamp.from(poll.startedAt()))
                .param("durationMs", poll.durationMs())
                .param("httpStatus", poll.httpStatus())
                .param("outcome", poll.outcome().label())
                .param("attempts", poll.attempts())
                .param("versionId", poll.versionId())
                .param("error", poll.error())
                .param("validators", poll.validators())
                .param("etag", poll.etag())
                .param("lastModified", poll.lastModified())
                .update();
        adapt(List.of(poll));
    }

    /**
     * Records unchanged and not-modified polls of distinct jobs in one statement.
     *
     * @throws IllegalArgumentException for a poll that found a change or failed, or a job twice
     */
    void recordQuiet(List<Poll> polls) {
        if (polls.isEmpty()) {
            return;
        }
        if (polls.stream().anyMatch(p -> !p.outcome().quiet() || !p.validators())
                || polls.stream().map(Poll::jobId).distinct().count() != polls.size()) {
            throw new IllegalArgumentException("only quiet polls of distinct jobs are recorded together");
        }
        jdbc.sql(RECORD_QUIET)
                .param("ids", polls.stream().map(p -> p.jobId().value()).toArray(UUID[]::new))
                .param("startedUs", polls.stream().mapToLong(p -> micros(p.startedAt())).toArray())
                .param("durationMs", polls.stream().mapToLong(Poll::durationMs).toArray())
                .param("httpStatus", polls.stream().map(Poll::httpStatus).toArray(Integer[]::new))
                .param("outcome", polls.stream().map(p -> p.outcome().label()).toArray(String[]::new))
                .param("attempts", polls.stream().mapToInt(Poll::attempts).toArray())
                .param("etag", polls.stream().map(Poll::etag).toArray(String[]::new))
                .param("lastModified", polls.stream().map(Poll::lastModified).toArray(String[]::new))
                .update();
        adapt(polls);
    }

    /** Adaptive jobs only: the others carry no interval to keep and cost no statement. */
    private void adapt(List<Poll> polls) {
        List<Poll> adaptive = polls.stream().filter(p -> p.effectiveMs() != null).toList();
        if (adaptive.isEmpty()) {
            return;
        }
        jdbc.sql(ADAPT)
                .param("ids", adaptive.stream().map(p -> p.jobId().value()).toArray(UUID[]::new))
                .param("ms", adaptive.stream().mapToLong(Poll::effectiveMs).toArray())
                .param("versions", adaptive.stream().mapToLong(Poll::jobVersion).toArray())
                .update();
    }

    private static long micros(Instant instant) {
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
    }

    void deadLetter(JobId jobId, UUID ownerId, String queue, byte[] payload, String error, int attempts, Instant now) {
        jdbc.sql(DEAD_LETTER)
                .param("id", Ids.next())
                .param("jobId", jobId.value())
                .param("ownerId", ownerId)
                .param("queue", queue)
                .param("payload", payload)
                .param("error", error)
                .param("attempts", attempts)
                .param("now", Timestamp.from(now))
                .update();
    }
}
