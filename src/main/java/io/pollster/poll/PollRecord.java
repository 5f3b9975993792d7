package io.pollster.poll;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

import io.pollster.job.JobId;
import io.pollster.paging.RunEnded;
import io.pollster.schedule.PollTask;

/** A poll's outcome as the job's poll history keeps it; made by the named factories below. */
record PollRecord(JobId jobId, long jobVersion, Instant fire, Instant startedAt, long durationMs, Integer httpStatus,
                  PollOutcome outcome, int attempts, UUID versionId, String error, Validators validators, Long effectiveMs,
                  boolean cached) {

    /** A 2xx answer: {@code changed} with the version it stored, or {@code unchanged}. */
    static PollRecord fetched(PollState job, PollTask task, Instant started, Duration took, int status, UUID versionId,
                              Validators validators, Long effectiveMs) {
        return new PollRecord(job.id(), job.version(), task.firedAt(), started, took.toMillis(), status,
                versionId != null ? PollOutcome.CHANGED : PollOutcome.UNCHANGED, task.attempt(), versionId, null,
                validators, effectiveMs, false);
    }

    /** A 304: the validators it carried, the stored ones where it carried none. */
    static PollRecord notModified(PollState job, PollTask task, Instant started, Duration took, Validators validators,
                                  Long effectiveMs) {
        return new PollRecord(job.id(), job.version(), task.firedAt(), started, took.toMillis(), 304, PollOutcome.NOT_MODIFIED,
                task.attempt(), null, null, validators, effectiveMs, false);
    }

    /** No usable answer after the last attempt. */
    static PollRecord failed(PollState job, PollTask task, Instant started, Duration took, Integer status, String error) {
        return new PollRecord(job.id(), job.version(), task.firedAt(), started, took.toMillis(), status, PollOutcome.FAILED,
                task.attempt(), null, error, null, null, false);
    }

    /** A poll its transport gave up on: it failed, or its poller died, on every delivery. */
    static PollRecord abandoned(PollState job, PollTask task, Instant at, String error) {
        Instant started = task.startedAt() != null ? task.startedAt() : at;
        return new PollRecord(job.id(), job.version(), task.firedAt(), started, Duration.between(started, at).toMillis(), null,
                PollOutcome.FAILED, task.attempt(), null, error, null, null, false);
    }

    /** A poll that could not be sent at all (its job's definition cannot be used): no attempt. */
    static PollRecord unsent(PollState job, PollTask task, Instant at, String error) {
        return new PollRecord(job.id(), job.version(), task.firedAt(), at, 0, null, PollOutcome.FAILED, 0, null, error, null, null, false);
    }

    /** A paginated run, as the one poll its fire made: changed when it found anything new. */
    static PollRecord run(RunEnded run) {
        PollOutcome outcome = run.error() != null || run.status().equals("failed") ? PollOutcome.FAILED
                : run.changed() ? PollOutcome.CHANGED : PollOutcome.UNCHANGED;
        return new PollRecord(new JobId(run.jobId()), 0, run.fireAt(), run.startedAt(),
                Duration.between(run.startedAt(), run.finishedAt()).toMillis(), null, outcome, 1, null,
                outcome == PollOutcome.FAILED ? "run " + run.runId() + " failed: " + run.error() : null, null, null, false);
    }

    /** The same poll, its answer shared by another poll's call to the same request (or not). */
    PollRecord cached(boolean fromCache) {
        return new PollRecord(jobId, jobVersion, fire, startedAt, durationMs, httpStatus, outcome, attempts, versionId, error,
                validators, effectiveMs, fromCache);
    }

    /** ETag and Last-Modified that replace the stored ones; a null {@code Validators} keeps them. */
    record Validators(String etag, String lastModified) {
    }
}
