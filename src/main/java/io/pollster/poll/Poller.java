package io.pollster.poll;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.pollster.job.Job;
import io.pollster.job.JobId;
import io.pollster.job.JobRepository;
import io.pollster.job.JobService;
import io.pollster.job.JobSpec;
import io.pollster.job.JobStatus;
import io.pollster.poll.dedup.DedupMode;
import io.pollster.poll.dedup.DedupSpec;
import io.pollster.poll.dedup.Normalized;
import io.pollster.poll.dedup.Normalizer;
import io.pollster.poll.fetch.FetchRequest;
import io.pollster.poll.fetch.FetchResult;
import io.pollster.poll.fetch.Fetcher;
import io.pollster.poll.fetch.RetryPolicy;
import io.pollster.schedule.PollTask;
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

    private final JobRepository jobs;
    private final JobService jobService;
    private final Fetcher fetcher;
    private final Normalizer normalizer;
    private final VersionRepository versions;
    private final PollRecorder recorder;
    private final TransactionTemplate tx;
    private final Clock clock;
    private final MeterRegistry meters;
    private final Timer duration;

    Poller(JobRepository jobs, JobService jobService, Fetcher fetcher, Normalizer normalizer, VersionRepository versions,
           PollRecorder recorder, TransactionTemplate tx, Clock clock, MeterRegistry meters) {
        this.jobs = jobs;
        this.jobService = jobService;
        this.fetcher = fetcher;
        this.normalizer = normalizer;
        this.versions = versions;
        this.recorder = recorder;
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
        Optional<Job> found = jobs.find(new JobId(task.jobId()));
        if (found.isEmpty() || (!task.manual() && found.get().status() == JobStatus.STOPPED)) {
            return;
        }
        Job job = found.get();
        Instant started = clock.instant();
        FetchResult result = fetcher.fetch(request(job), retryPolicy(job.spec()));
        Normalized normalized = result instanceof FetchResult.Fetched fetched
                ? normalizer.normalize(fetched.body(), fetched.contentType(), dedup(job.spec()))
                : null;
        // one transaction: a version is never stored without the poll that found it, nor a failure without its dead letter
        PollRecorder.Poll poll = tx.execute(status -> {
            PollRecorder.Poll recorded = outcome(job, result, normalized, started);
            recorder.record(recorded);
            if (recorded.outcome() == PollOutcome.FAILED) {
                recorder.deadLetter(job.id(), job.ownerId(), PollTask.QUEUE, payload, recorded.error(), recorded.attempts(),
                        clock.instant());
            }
            return recorded;
        });
        count(poll, result);
        if (poll.outcome() == PollOutcome.FAILED) {
            log.info("Poll of job {} failed after {} attempts: {}", job.id(), poll.attempts(), poll.error());
        }
    }

    private PollRecorder.Poll outcome(Job job, FetchResult result, Normalized normalized, Instant started) {
        long millis = result.duration().toMillis();
        return switch (result) {
            case FetchResult.Fetched fetched -> fetched(job, fetched, normalized, started, millis);
            case FetchResult.NotModified notModified -> new PollRecorder.Poll(job.id(), job.version(), started, millis, 304,
                    PollOutcome.NOT_MODIFIED, notModified.attempts(), null, null, true,
                    firstNonNull(notModified.etag(), job.etag()), firstNonNull(notModified.lastModified(), job.lastModified()),
                    adapt(job, false));
            case FetchResult.Failed failed -> new PollRecorder.Poll(job.id(), job.version(), started, millis, failed.status(),
                    PollOutcome.FAILED, failed.attempts(), null, failed.error(), false, null, null, null);
        };
    }

    private PollRecorder.Poll fetched(Job job, FetchResult.Fetched fetched, Normalized normalized, Instant started, long millis) {
        UUID versionId = null;
        PollOutcome outcome = PollOutcome.UNCHANGED;
        if (!Arrays.equals(normalized.hash(), job.latestHash())) {
            Optional<UUID> stored = versions.store(job.id().value(), job.latestHash(), normalized.hash(),
                    BodyCodec.compress(fetched.body()), fetched.body().length, started, fetched.status(),
                    fetched.contentType());
            if (stored.isPresent()) {
                versionId = stored.get();
                outcome = PollOutcome.CHANGED;
            }
        }
        return new PollRecorder.Poll(job.id(), job.version(), started, millis, fetched.status(), outcome, fetched.attempts(),
                versionId, null, true, fetched.etag(), fetched.lastModified(), adapt(job, outcome == PollOutcome.CHANGED));
    }

    /** Adaptive jobs halve their interval after a change and stretch it by half while nothing changes. */
    private static Long adapt(Job job, boolean changed) {
        JobSpec.Adaptive adaptive = job.spec().adaptive();
        if (adaptive == null || job.effectiveInterval() == null) {
            return null;
        }
        Duration min = Duration.parse(adaptive.min());
        Duration max = Duration.parse(adaptive.max());
        Duration current = job.effectiveInterval();
        Duration next = changed ? current.dividedBy(2) : current.plus(current.dividedBy(2));
        return (next.compareTo(min) < 0 ? min : next.compareTo(max) > 0 ? max : next).toMillis();
    }

    private FetchRequest request(Job job) {
        JobSpec spec = job.spec();
        Map<String, String> headers = new LinkedHashMap<>(spec.headers());
        byte[] body = null;
        if (spec.body() != null) {
            if (spec.body().isString()) {
                body = spec.body().asString().getBytes(StandardCharsets.UTF_8);
            } else {
                body = spec.body().toString().getBytes(StandardCharsets.UTF_8);
                if (headers.keySet().stream().noneMatch(h -> h.equalsIgnoreCase("Content-Type"))) {
                    headers.put("Content-Type", "application/json");
                }
            }
        }
        return new FetchRequest(spec.method(), URI.create(spec.url()), headers, jobService.openSecrets(job), body,
                spec.timeoutDuration(), job.etag(), job.lastModified());
    }

    private static RetryPolicy retryPolicy(JobSpec spec) {
        JobSpec.Retry retry = spec.retry();
        return new RetryPolicy(retry.maxAttempts(), Duration.parse(retry.backoff()), Duration.parse(retry.maxBackoff()));
    }

    private static DedupSpec dedup(JobSpec spec) {
        JobSpec.Dedup dedup = spec.dedup();
        DedupMode mode = dedup.mode() == null ? null : DedupMode.fromWireName(dedup.mode());
        return new DedupSpec(mode, dedup.ignorePaths(), dedup.ignorePatterns());
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
