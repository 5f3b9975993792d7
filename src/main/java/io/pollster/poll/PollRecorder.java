package io.pollster.poll;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.pollster.job.JobId;
import io.pollster.job.PollState;
import io.pollster.schedule.PollTask;
import io.pollster.system.EpochMicros;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * Writes what a poll found into the job row. Polls with the same outcome and status fold into
 * the job's open history entry; a different one closes it into {@code polls} first — all in one
 * statement, so an unchanged poll costs exactly one row update and no insert, and the quiet polls
 * of many jobs share that statement. The same statement marks the poll's fire done, which lets
 * the scheduler fire the job again.
 */
@Repository
class PollRecorder {

    /**
     * Records polls of distinct jobs, one statement for any number of them. Rows are locked in id
     * order so concurrent batches of several pollers cannot deadlock. Due times skipped since the
     * open entry's last poll stay with it when the poll folds into it or closes it; an entry that
     * opens on a job without history takes those skipped before its first poll.
     */
    private static final String RECORD = """
            WITH input AS (
                SELECT *
                FROM unnest(CAST(:ids AS UUID[]), CAST(:startedUs AS BIGINT[]), CAST(:durationMs AS BIGINT[]),
                            CAST(:httpStatus AS INT[]), CAST(:outcome AS TEXT[]), CAST(:attempts AS INT[]),
                            CAST(:versionId AS UUID[]), CAST(:error AS TEXT[]), CAST(:validators AS BOOLEAN[]),
                            CAST(:etag AS TEXT[]), CAST(:lastModified AS TEXT[]), CAST(:fireUs AS BIGINT[]))
                     AS i(id, started_us, duration_ms, http_status, outcome, attempts, version_id, error, validators,
                          etag, last_modified, fire_us)
            ), prev AS (
                SELECT j.id, j.fold_count, j.fold_started_at, j.fold_last_at, j.fold_duration_ms, j.fold_http_status,
                       j.fold_outcome, j.fold_attempts, j.fold_version_id, j.fold_error, j.fold_skipped,
                       TIMESTAMPTZ 'epoch' + i.started_us * INTERVAL '1 microsecond' AS started_at,
                       (j.fold_count > 0
                        AND i.outcome <> 'changed'
                        AND j.fold_outcome = i.outcome
                        AND j.fold_http_status IS NOT DISTINCT FROM i.http_status
                        AND j.fold_error IS NOT DISTINCT FROM i.error) AS same
                FROM jobs j
                JOIN input i ON i.id = j.id
                ORDER BY j.id
                FOR UPDATE OF j
            ), closed AS (
                INSERT INTO polls (job_id, started_at, last_at, count, duration_ms, http_status, outcome, attempts,
                                   version_id, error, skipped)
                SELECT id, fold_started_at, fold_last_at, fold_count, fold_duration_ms, fold_http_status, fold_outcome,
                       fold_attempts, fold_version_id, fold_error, fold_skipped
                FROM prev
                WHERE fold_count > 0
                  AND NOT same
            )
            UPDATE jobs j
            SET fold_started_at = CASE WHEN p.same THEN j.fold_started_at ELSE p.started_at END,
                fold_last_at = p.started_at,
                fold_count = CASE WHEN p.same THEN j.fold_count + 1 ELSE 1 END,
                fold_duration_ms = i.duration_ms,
                fold_http_status = i.http_status,
                fold_outcome = i.outcome,
                fold_attempts = i.attempts,
                fold_version_id = i.version_id,
                fold_error = i.error,
                fold_skipped = CASE WHEN p.same OR p.fold_count = 0 THEN j.fold_skipped ELSE 0 END,
                polls = j.polls + 1,
                changes = j.changes + CASE WHEN i.outcome = 'changed' THEN 1 ELSE 0 END,
                failures = j.failures + CASE WHEN i.outcome = 'failed' THEN 1 ELSE 0 END,
                consecutive_failures = CASE WHEN i.outcome = 'failed' THEN j.consecutive_failures + 1 ELSE 0 END,
                last_run_at = p.started_at,
                last_outcome = i.outcome,
                etag = CASE WHEN i.validators THEN i.etag ELSE j.etag END,
                last_modified = CASE WHEN i.validators THEN i.last_modified ELSE j.last_modified END,
                done_fire_at = GREATEST(j.done_fire_at,
                                        TIMESTAMPTZ 'epoch' + NULLIF(i.fire_us, :none) * INTERVAL '1 microsecond')
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

    /**
     * Due times skipped because the job's previous poll was still in flight, counted on the job's
     * open history entry: no entry opens or closes for them. Locked in id order like the polls.
     */
    private static final String SKIPPED = """
            UPDATE jobs j
            SET fold_skipped = j.fold_skipped + t.n
            FROM (SELECT id FROM jobs WHERE id = ANY(:ids) ORDER BY id FOR UPDATE) locked
            JOIN unnest(CAST(:ids AS UUID[]), CAST(:counts AS INT[])) AS t(id, n) ON t.id = locked.id
            WHERE j.id = locked.id
            """;

    /**
     * A fire that made no poll (its job was stopped meanwhile) is over all the same. Done marks
     * only move forward: an older fire finishing late leaves a newer one's mark alone.
     */
    private static final String SETTLE = """
            UPDATE jobs
            SET done_fire_at = GREATEST(done_fire_at, :fire)
            WHERE id = :id
            """;

    private static final long NONE = Long.MIN_VALUE;

    private final JdbcClient jdbc;

    PollRecorder(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** A poll's outcome as the history and the job row keep it; made by the named factories below. */
    record Poll(JobId jobId, long jobVersion, Instant fire, Instant startedAt, long durationMs, Integer httpStatus,
                PollOutcome outcome, int attempts, UUID versionId, String error, Validators validators, Long effectiveMs) {

        /** A 2xx answer: {@code changed} with the version it stored, or {@code unchanged}. */
        static Poll fetched(PollState job, PollTask task, Instant started, Duration took, int status, UUID versionId,
                            Validators validators, Long effectiveMs) {
            return new Poll(job.id(), job.version(), task.firedAt(), started, took.toMillis(), status,
                    versionId != null ? PollOutcome.CHANGED : PollOutcome.UNCHANGED, task.attempt(), versionId, null,
                    validators, effectiveMs);
        }

        /** A 304: the validators it carried, the stored ones where it carried none. */
        static Poll notModified(PollState job, PollTask task, Instant started, Duration took, Validators validators,
                                Long effectiveMs) {
            return new Poll(job.id(), job.version(), task.firedAt(), started, took.toMillis(), 304, PollOutcome.NOT_MODIFIED,
                    task.attempt(), null, null, validators, effectiveMs);
        }

        /** No usable answer after the last attempt. */
        static Poll failed(PollState job, PollTask task, Instant started, Duration took, Integer status, String error) {
            return new Poll(job.id(), job.version(), task.firedAt(), started, took.toMillis(), status, PollOutcome.FAILED,
                    task.attempt(), null, error, null, null);
        }

        /** A poll its transport gave up on: it failed, or its poller died, on every delivery. */
        static Poll abandoned(PollState job, PollTask task, Instant at, String error) {
            Instant started = task.startedAt() != null ? task.startedAt() : at;
            return new Poll(job.id(), job.version(), task.firedAt(), started, Duration.between(started, at).toMillis(), null,
                    PollOutcome.FAILED, task.attempt(), null, error, null, null);
        }

        /** A poll that could not be sent at all (its job's definition cannot be used): no attempt. */
        static Poll unsent(PollState job, PollTask task, Instant at, String error) {
            return new Poll(job.id(), job.version(), task.firedAt(), at, 0, null, PollOutcome.FAILED, 0, null, error, null, null);
        }

    }

    /** ETag and Last-Modified that replace the stored ones; a null {@code Validators} keeps them. */
    record Validators(String etag, String lastModified) {
    }

    void record(Poll poll) {
        recordAll(List.of(poll));
    }

    /**
     * Records polls of distinct jobs in one statement: the quiet polls of many jobs at once.
     *
     * @throws IllegalArgumentException for a job twice
     */
    void recordAll(List<Poll> polls) {
        if (polls.isEmpty()) {
            return;
        }
        if (polls.stream().map(Poll::jobId).distinct().count() != polls.size()) {
            throw new IllegalArgumentException("polls recorded together must be of distinct jobs");
        }
        boolean[] validators = new boolean[polls.size()];
        for (int i = 0; i < validators.length; i++) {
            validators[i] = polls.get(i).validators() != null;
        }
        jdbc.sql(RECORD)
                .param("ids", polls.stream().map(p -> p.jobId().value()).toArray(UUID[]::new))
                .param("startedUs", polls.stream().mapToLong(p -> EpochMicros.of(p.startedAt())).toArray())
                .param("durationMs", polls.stream().mapToLong(Poll::durationMs).toArray())
                .param("httpStatus", polls.stream().map(Poll::httpStatus).toArray(Integer[]::new))
                .param("outcome", polls.stream().map(p -> p.outcome().label()).toArray(String[]::new))
                .param("attempts", polls.stream().mapToInt(Poll::attempts).toArray())
                .param("versionId", polls.stream().map(Poll::versionId).toArray(UUID[]::new))
                .param("error", polls.stream().map(Poll::error).toArray(String[]::new))
                .param("validators", validators)
                .param("etag", polls.stream().map(p -> p.validators() == null ? null : p.validators().etag()).toArray(String[]::new))
                .param("lastModified", polls.stream().map(p -> p.validators() == null ? null : p.validators().lastModified())
                        .toArray(String[]::new))
                .param("fireUs", polls.stream().mapToLong(p -> p.fire() == null ? NONE : EpochMicros.of(p.fire())).toArray())
                .param("none", NONE)
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
}
