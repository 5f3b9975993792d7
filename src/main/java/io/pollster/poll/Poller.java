package io.pollster.poll;

import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.UUID;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.pollster.job.JobId;
import io.pollster.job.JobRepository;
import io.pollster.job.PollState;
import io.pollster.job.JobStatus;
import io.pollster.poll.dedup.Normalized;
import io.pollster.poll.dedup.Normalizer;
import io.pollster.poll.fetch.FetchResult;
import io.pollster.poll.fetch.Fetcher;
import io.pollster.schedule.PollTask;
import io.pollster.system.secret.UnreadableSecretException;
import io.pollster.version.VersionRepository;
import io.pollster.version.content.BodyCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * One poll: fetch the job's URL (with retries inside), normalise and hash the body, store a
 * version only when the hash differs from the latest, and record the outcome. A failed poll —
 * after its last attempt — leaves a dead letter.
 */
@Component
class Poller {

    private static final Logger log = LoggerFactory.getLogger(Poller.class);
    private static final String UNREADABLE_SECRETS = "the job's secret headers cannot be decrypted (the secret key changed, or"
            + " the stored value was altered or copied from another job); send its secretHeaders again";

    private final JobRepository jobs;
    private final PollTargets targets;
    private final Fetcher fetcher;
    private final Normalizer normalizer;
    private final VersionRepository versions;
    private final PollRecorder recorder;
    private final QuietPolls quietPolls;
    private final TransactionTemplate tx;
    private final Clock clock;
    private final MeterRegistry meters;
    private final Timer duration;

    Poller(JobRepository jobs, PollTargets targets, Fetcher fetcher, Normalizer normalizer, VersionRepository versions,
           PollRecorder recorder, QuietPolls quietPolls, TransactionTemplate tx, Clock clock, MeterRegistry meters) {
        this.jobs = jobs;
        this.targets = targets;
        this.fetcher = fetcher;
        this.normalizer = normalizer;
        this.versions = versions;
        this.recorder = recorder;
        this.quietPolls = quietPolls;
        this.tx = tx;
        this.clock = clock;
        this.meters = meters;
        this.duration = Timer.builder("pollster.poll.duration")
                .description("Time from the start of a poll to its outcome, retries included")
                .publishPercentileHistogram()
                .register(meters);
    }

    /** Polls the task's job; a deleted job, or a stopped one on a scheduled fire, is skipped. */
    void poll(PollTask task, byte[] payload) {
        JobId id = new JobId(task.jobId());
        Optional<PollState> found = jobs.findPollState(id);
        if (found.isEmpty() || (!task.manual() && found.get().status() == JobStatus.STOPPED)) {
            return;
        }
        PollState job = found.get();
        Instant started = clock.instant();
        Optional<PollTarget> target;
        try {
            target = targets.at(id, job.version());
        } catch (UnreadableSecretException e) {
            failUnsent(job, payload, started, UNREADABLE_SECRETS, e);
            return;
        }
        if (target.isEmpty()) {
            return; // deleted since
        }
        FetchResult result = fetcher.fetch(target.get().request(job.etag(), job.lastModified()), target.get().retry());
        Normalized normalized = result instanceof FetchResult.Fetched fetched
                ? normalizer.normalize(fetched.body(), fetched.contentType(), target.get().dedup())
                : null;
        PollRecorder.Poll poll;
        if (result instanceof FetchResult.NotModified
                || result instanceof FetchResult.Fetched && sameAsLatest(job, normalized)) {
            poll = outcome(job, target.get(), result, normalized, started);
            quietPolls.record(poll); // most polls: batched with others
        } else {
            // one transaction: a version is never stored without the poll that found it, nor a failure without its dead letter
            poll = tx.execute(status -> {
                PollRecorder.Poll recorded = outcome(job, target.get(), result, normalized, started);
                recorder.record(recorded);
                if (recorded.outcome() == PollOutcome.FAILED) {
                    recorder.deadLetter(job.id(), job.ownerId(), PollTask.QUEUE, payload, recorded.error(), recorded.attempts(),
                            clock.instant());
                }
                return recorded;
            });
        }
        count(poll, result);
        if (poll.outcome() == PollOutcome.FAILED) {
            log.info("Poll of job {} failed after {} attempts: {}", job.id(), poll.attempts(), poll.error());
        }
    }

    /**
     * A poll that cannot be sent as the job defines it fails at once, without a request upstream
     * and without retries (they would fail the same way): one failed poll in the job's history, one
     * dead letter to replay once it is fixed.
     */
    private void failUnsent(PollState job, byte[] payload, Instant started, String error, Exception cause) {
        PollRecorder.Poll poll = new PollRecorder.Poll(job.id(), job.version(), started, 0, null, PollOutcome.FAILED, 0,
                null, error, false, null, null, null);
        tx.executeWithoutResult(status -> {
            recorder.record(poll);
            recorder.deadLetter(job.id(), job.ownerId(), PollTask.QUEUE, payload, error, 0, clock.instant());
        });
        meters.counter("pollster.polls", "outcome", poll.outcome().label()).increment();
        meters.counter("pollster.dead.letters", "type", "poll").increment();
        log.warn("Poll of job {} failed before sending a request: {}", job.id(), cause.getMessage());
    }

    private PollRecorder.Poll outcome(PollState job, PollTarget target, FetchResult result, Normalized normalized,
                                      Instant started) {
        long millis = result.duration().toMillis();
        return switch (result) {
            case FetchResult.Fetched fetched -> fetched(job, target, fetched, normalized, started, millis);
            case FetchResult.NotModified notModified -> new PollRecorder.Poll(job.id(), job.version(), started, millis, 304,
                    PollOutcome.NOT_MODIFIED, notModified.attempts(), null, null, true,
                    firstNonNull(notModified.etag(), job.etag()), firstNonNull(notModified.lastModified(), job.lastModified()),
                    target.adapt(job.effectiveInterval(), false));
            case FetchResult.Failed failed -> new PollRecorder.Poll(job.id(), job.version(), started, millis, failed.status(),
                    PollOutcome.FAILED, failed.attempts(), null, failed.error(), false, null, null, null);
        };
    }

    private PollRecorder.Poll fetched(PollState job, PollTarget target, FetchResult.Fetched fetched, Normalized normalized,
                                      Instant started, long millis) {
        UUID versionId = null;
        PollOutcome outcome = PollOutcome.UNCHANGED;
        if (!sameAsLatest(job, normalized)) {
            Optional<UUID> stored = versions.store(job.id().value(), job.latestHash(), normalized.hash(),
                    BodyCodec.compress(fetched.body()), fetched.body().length, started, fetched.status(),
                    fetched.contentType());
            if (stored.isPresent()) {
                versionId = stored.get();
                outcome = PollOutcome.CHANGED;
            }
        }
        return new PollRecorder.Poll(job.id(), job.version(), started, millis, fetched.status(), outcome, fetched.attempts(),
                versionId, null, true, fetched.etag(), fetched.lastModified(),
                target.adapt(job.effectiveInterval(), outcome == PollOutcome.CHANGED));
    }

    /** Nothing new: no version to store, so the outcome goes to the batched quiet-poll write. */
    private static boolean sameAsLatest(PollState job, Normalized normalized) {
        return Arrays.equals(normalized.hash(), job.latestHash());
    }

    private void count(PollRecorder.Poll poll, FetchResult result) {
        meters.counter("pollster.polls", "outcome", poll.outcome().label()).increment();
        if (poll.outcome() == PollOutcome.CHANGED) {
            meters.counter("pollster.versions").increment();
        }
        duration.record(result.duration());
        String status = poll.httpStatus() == null ? "error" : Integer.toString(poll.httpStatus());
        meters.counter("pollster.upstream.requests", "status", status).increment(result.attempts());
        if (poll.outcome() == PollOutcome.FAILED) {
            meters.counter("pollster.dead.letters", "type", "poll").increment();
        }
    }

    private static String firstNonNull(String a, String b) {
        return a != null ? a : b;
    }
}
