package io.pollster.poll;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.pollster.cache.UpstreamCache;
import io.pollster.dedup.Normalized;
import io.pollster.dedup.Normalizer;
import io.pollster.fetch.FetchRequest;
import io.pollster.fetch.FetchResult;
import io.pollster.fetch.Fetcher;
import io.pollster.fetch.RetryPolicy;
import io.pollster.job.JobId;
import io.pollster.job.JobRepository;
import io.pollster.job.JobSpec;
import io.pollster.job.JobStatus;
import io.pollster.paging.PollItems;
import io.pollster.paging.RequestLimits;
import io.pollster.paging.RunStarter;
import io.pollster.schedule.PollTask;
import io.pollster.schedule.PollTimeLimit;
import io.pollster.system.CpuWork;
import io.pollster.system.Durations;
import io.pollster.system.Ids;
import io.pollster.system.memory.ByteBudget;
import io.pollster.system.secret.UnreadableSecretException;
import io.pollster.transport.DeadLetterSink;
import io.pollster.transport.DeadLetterType;
import io.pollster.transport.QueueProperties;
import io.pollster.transport.TaskHandler;
import io.pollster.user.Quotas;
import io.pollster.user.UserId;
import io.pollster.version.BodyCodec;
import io.pollster.version.JsonPatches;
import io.pollster.version.VersionRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * One delivery of a poll task: one attempt at the job's URL, then either the outcome — a version
 * when the normalised body's hash differs from the latest, else a quiet poll; after the last
 * attempt a failure and its dead letter — or the task back on the queue for later: the next
 * attempt after its backoff, or the same attempt when its user's share of slow polls or its
 * host's request slots are taken. Waiting never holds a poller slot. A poll gives up when its
 * fire is {@code pollster.poller.max-poll-time} old.
 */
@Component
class Poller {

    private static final Logger log = LoggerFactory.getLogger(Poller.class);
    private static final String UNREADABLE_SECRETS = "the job's secret headers cannot be decrypted (the secret key changed, or"
            + " the stored value was altered or copied from another job); send its secretHeaders again";

    /** Bodies up to this size are normalised on the poll's own thread: microseconds of work. */
    private static final int INLINE_BYTES = 16 * 1024;
    /** Reserved from the budget of bytes in flight before a poll starts; the body's reading grows it. */
    private static final long FIRST_BYTES = 64 * 1024;
    private static final String OUT_OF_BUDGET =
            "Pollster's budget of bytes in flight (pollster.memory.in-flight), or its owner's share of it"
                    + " (pollster.memory.per-user), was taken by other large bodies";
    private static final Duration FIRST_DEFERRAL = Duration.ofSeconds(1);
    private static final Duration MAX_DEFERRAL = Duration.ofSeconds(30);
    /** A cached job's lock outlives its holder's request (host slot waits and timeout) by this. */
    private static final Duration LEASE_MARGIN = Duration.ofSeconds(2);
    private static final String RATE_LIMITED = "its host asked to slow down, or its rate limit held it back";

    private final JobRepository jobs;
    private final PollTargets targets;
    private final Fetcher fetcher;
    private final Normalizer normalizer;
    private final VersionRepository versions;
    private final PollHistory history;
    private final QuietPolls quietPolls;
    private final DeadLetterSink deadLetters;
    private final FairShare fairShare;
    private final CpuWork cpu;
    private final ByteBudget budget;
    private final Quotas quotas;
    private final PollEvents events;
    private final JsonPatches patches;
    private final RunStarter runs;
    private final PollItems pollItems;
    private final RequestLimits limits;
    private final UpstreamCache cache;
    private final TransactionTemplate tx;
    private final Clock clock;
    private final MeterRegistry meters;
    private final Timer duration;
    private final Duration maxPollTime;
    private final Duration hostWait;
    private final Duration slotWaits;
    private final String queue;

    Poller(JobRepository jobs, PollTargets targets, Fetcher fetcher, Normalizer normalizer, VersionRepository versions,
           PollHistory history, QuietPolls quietPolls, DeadLetterSink deadLetters, FairShare fairShare, CpuWork cpu,
           ByteBudget budget, Quotas quotas, TransactionTemplate tx, Clock clock, MeterRegistry meters,
           PollerProperties properties, PollTimeLimit limit,
           QueueProperties queues, PollEvents events, JsonPatches patches, RunStarter runs, PollItems pollItems, RequestLimits limits, UpstreamCache cache) {
        this.jobs = jobs;
        this.cache = cache;
        this.limits = limits;
        this.runs = runs;
        this.pollItems = pollItems;
        this.events = events;
        this.patches = patches;
        this.targets = targets;
        this.fetcher = fetcher;
        this.normalizer = normalizer;
        this.versions = versions;
        this.history = history;
        this.quietPolls = quietPolls;
        this.deadLetters = deadLetters;
        this.fairShare = fairShare;
        this.cpu = cpu;
        this.budget = budget;
        this.quotas = quotas;
        this.tx = tx;
        this.clock = clock;
        this.meters = meters;
        this.maxPollTime = limit.maxPollTime();
        this.hostWait = properties.hostWait();
        // one attempt waits for a host slot on every hop of its redirects
        this.slotWaits = properties.hostWait().multipliedBy(properties.maxRedirects() + 1L);
        this.queue = queues.name(PollTask.QUEUE);
        this.duration = Timer.builder("pollster.poll.duration")
                .description("Time from the start of a poll to its outcome, retries included")
                .publishPercentileHistogram()
                .register(meters);
    }

    /** Polls the task's job; a deleted job, a stopped one on a scheduled fire, or a fire already done is skipped. */
    TaskHandler.Result poll(PollTask task) {
        JobId id = new JobId(task.jobId());
        Optional<PollState> found = history.findPollState(id);
        if (found.isEmpty()) {
            return TaskHandler.DONE;
        }
        PollState job = found.get();
        if (over(task, job)) {
            return TaskHandler.DONE; // delivered again after its poll was recorded: at least once, not twice
        }
        if (!task.manual() && job.status() == JobStatus.STOPPED) {
            history.settle(id, task.firedAt());
            return TaskHandler.DONE;
        }
        Optional<PollTarget> target;
        try {
            target = targets.at(id, job.version());
        } catch (UnreadableSecretException e) {
            log.warn("Poll of job {} failed before sending a request: {}", job.id(), e.getMessage());
            return failUnsent(job, task, UNREADABLE_SECRETS);
        }
        if (target.isEmpty()) {
            return TaskHandler.DONE; // deleted since
        }
        if (target.get().unusable() != null) {
            return failUnsent(job, task, target.get().unusable());
        }
        if (target.get().pagination() != null) {
            // the fire stays open while its run goes on; a later fire that finds the run going joins it
            if (runs.start(id.value(), job.ownerId(), task.firedAt(), target.get().pagination()) == RunStarter.Start.JOINED) {
                history.skipped(Map.of(id.value(), 1));
            }
            return TaskHandler.DONE;
        }
        Attempt attempt = new Attempt(job, target.get(), task, clock.instant());
        if (!attempt.since.plus(maxPollTime).isAfter(attempt.now)) {
            // the scheduler may have fired the job again already: this poll must not run beside that one
            return fail(attempt, null, "not started within " + Durations.format(maxPollTime)
                    + " of its fire: the pollers are behind (see pollster_queue_depth)");
        }
        // a cached job's poll may not ask upstream at all: only the one that does is held to the limits
        Duration wait = attempt.target.cache() != null ? Duration.ZERO : limits(attempt);
        if (!wait.isZero()) {
            return waitOnQueue(attempt, wait, RATE_LIMITED);
        }
        FairShare.Ticket ticket = fairShare.tryEnter(job.ownerId(), job.expectedSlow());
        if (ticket == null) {
            return putOff(attempt, "its owner's slow polls took their whole share of this poller");
        }
        ByteBudget.Reservation memory;
        try {
            memory = budget.reserve(job.ownerId(), FIRST_BYTES, hostWait);
        } catch (InterruptedException e) {
            ticket.close();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for memory", e);
        }
        if (memory == null) {
            ticket.close();
            return putOff(attempt, OUT_OF_BUDGET);
        }
        try (memory) {
            return fetchAndRecord(attempt, ticket, memory);
        }
    }

    /** The attempt, and what its answer comes to; {@code memory} holds the answer's bytes until it is recorded. */
    private TaskHandler.Result fetchAndRecord(Attempt attempt, FairShare.Ticket ticket, ByteBudget.Reservation memory) {
        PollState job = attempt.job;
        Answer answer;
        Normalized normalized = null;
        try (ticket) {
            answer = answer(attempt, memory);
            if (answer.result() instanceof FetchResult.Fetched fetched) {
                // the working space of normalising (a parsed tree, a copy) is bounded by the CPU threads
                // that do it for large bodies, not by the budget: counting it there would let readers
                // holding their bodies starve the few normalisations that would free them
                normalized = cpuIfLarge(job.ownerId(), fetched.body().length,
                        () -> normalizer.normalize(fetched.body(), fetched.contentType(), attempt.target.dedup()));
            }
        } catch (OutOfMemoryError e) {
            // the heap may have been taken by other polls, not this one: tried again like a failed attempt
            log.error("Poll of job {} ran out of memory while handling the upstream's answer", job.id(), e);
            return retryOrFail(attempt, new FetchResult.Failed(null, "internal error (OutOfMemoryError) while handling the "
                    + "upstream's answer", true, null, attempt.took(clock)));
        } catch (Error e) {
            // a hostile answer can exhaust what a poll may use; the poll fails once, the process goes on
            log.error("Poll of job {} failed with {} while handling the upstream's answer", job.id(), e.toString(), e);
            return fail(attempt, null, "internal error (" + e.getClass().getSimpleName()
                    + ") while handling the upstream's answer; not retried");
        }
        if (answer.unavailable() != null) {
            return putOff(attempt, answer.unavailable());
        }
        if (answer.later() != null) {
            return waitOnQueue(attempt, answer.later(), answer.laterWhy());
        }
        FetchResult result = answer.result();
        boolean cached = answer.cached();
        return switch (result) {
            case FetchResult.HostBusy busy -> putOff(attempt, "its owner's share of the request slots of host " + busy.host()
                    + " (pollster.hosts.per-user-concurrency), or every slot, was taken");
            case FetchResult.OutOfBudget out -> putOff(attempt, OUT_OF_BUDGET);
            // a shared 429 paused the user whose call got it; another user reading it is not paused by it
            case FetchResult.Failed failed when cached -> retry(attempt, failed);
            case FetchResult.Failed failed -> retryOrFail(attempt, failed);
            case FetchResult.NotModified notModified -> quiet(attempt, PollRecord.notModified(job, attempt.task,
                    attempt.started, attempt.took(clock), new PollRecord.Validators(firstNonNull(notModified.etag(), job.etag()),
                            firstNonNull(notModified.lastModified(), job.lastModified())),
                    attempt.target.adapt(job.effectiveInterval(), false)).cached(answer.shown()));
            case FetchResult.Fetched fetched -> fetched(attempt, fetched, normalized, answer.shown());
        };
    }

    /**
     * The upstream's answer for this attempt: asked directly, or through the shared cache for a
     * job with {@code cache} — then perhaps another poll's answer, or a wait for one that timed out.
     * Only a poll that asks upstream itself is held to its host's and its job's rate.
     */
    private Answer answer(Attempt attempt, ByteBudget.Reservation memory) {
        FetchRequest request = attempt.target.request(attempt.job.etag(), attempt.job.lastModified());
        JobSpec.Cache settings = attempt.target.cache();
        if (settings == null) {
            return Answer.of(counted(fetcher.fetch(request, attempt.owner(), hostWait, memory)), false);
        }
        Duration[] limited = new Duration[1];
        UpstreamCache.Call call = new UpstreamCache.Call(request, attempt.job.ownerId(), settings.ttlDuration(),
                settings.waitTimeoutDuration(),
                slotWaits.plus(attempt.target.timeout()).plus(LEASE_MARGIN));
        UpstreamCache.Shared shared = cache.fetch(call,
                bytes -> bytes <= memory.bytes() || memory.tryGrow(bytes - memory.bytes()),
                sent -> {
                    Duration wait = limits(attempt);
                    if (!wait.isZero()) {
                        limited[0] = wait;
                        return new FetchResult.HostBusy(sent.url().getHost(), Duration.ZERO); // nothing sent: the lease goes back
                    }
                    return counted(fetcher.fetch(sent, attempt.owner(), hostWait, memory));
                });
        if (limited[0] != null) {
            return new Answer(null, false, false, null, limited[0], RATE_LIMITED);
        }
        return switch (shared) {
            case UpstreamCache.Unavailable down -> new Answer(null, false, false, down.error(), null, null);
            case UpstreamCache.Crowded crowded -> new Answer(null, true, false, null, crowded.retryIn(),
                    "it waited for another poll's call to the same request, which had not answered");
            case UpstreamCache.TimedOut timedOut -> Answer.of(new FetchResult.Failed(null, "waited "
                    + Durations.format(timedOut.waited()) + " (cache.waitTimeout) for another poll's call to the same "
                    + "request, which had not answered", true, null, timedOut.waited()), true);
            case UpstreamCache.Answer own when !own.cached() -> Answer.of(own.result(), false);
            case UpstreamCache.Answer fromCache -> new Answer(fromCache(attempt, fromCache), true, fromCache.mine(), null,
                    null, null);
        };
    }

    private Duration limits(Attempt attempt) {
        return limits.before(attempt.job.id().value(), attempt.target.rateLimit(), attempt.owner(), attempt.target.url());
    }

    /** The poll waits on the queue (its host's pause or rate, its job's rate, a crowd of waiters), or gives up when its time is out. */
    private TaskHandler.Result waitOnQueue(Attempt attempt, Duration wait, String why) {
        return attempt.canWait(clock.instant(), wait, maxPollTime)
                ? new TaskHandler.Later(wait, attempt.task.deferred().encode())
                : fail(attempt, null, "gave up after " + Durations.format(maxPollTime) + ": " + why);
    }

    /**
     * Another poll's answer as this poll's: a failure retried no sooner than the kept failure goes
     * (sooner would see the same one again).
     */
    private FetchResult fromCache(Attempt attempt, UpstreamCache.Answer answer) {
        return switch (answer.result()) {
            case FetchResult.Failed f -> {
                Duration after = f.retryAfter();
                Duration maxBackoff = attempt.target.retry().maxBackoff();
                if ((after == null || after.compareTo(answer.freshLeft()) < 0) && answer.freshLeft().compareTo(maxBackoff) <= 0) {
                    after = answer.freshLeft();
                }
                // another user's call is not named: that would tell them someone else sends this exact request
                yield new FetchResult.Failed(f.status(), answer.mine() ? f.error() + " (the shared answer of another poll's call)"
                        : f.error(), f.retryable(), after, f.duration(), true);
            }
            default -> answer.result();
        };
    }

    private FetchResult counted(FetchResult result) {
        String status = switch (result) {
            case FetchResult.Fetched f -> Integer.toString(f.status());
            case FetchResult.NotModified n -> "304";
            case FetchResult.Failed f -> f.status() == null ? "error" : Integer.toString(f.status());
            case FetchResult.HostBusy b -> null;
            case FetchResult.OutOfBudget o -> "error";
        };
        if (status != null) {
            meters.counter("pollster.upstream.requests", "status", status).increment();
        }
        return result;
    }

    /**
     * What one attempt got.
     *
     * @param cached      whether the answer was another poll's
     * @param shown       whether the poll's history says so: only when that poll was the same user's,
     *                    or it would tell the user that someone else sends this exact request
     * @param unavailable why there is none (the shared cache cannot be reached), or null
     * @param later       how long the poll waits on the queue before it tries again, or null
     * @param laterWhy    why it waits, for the failure if its time runs out first
     */
    private record Answer(FetchResult result, boolean cached, boolean shown, String unavailable, Duration later,
                          String laterWhy) {

        static Answer of(FetchResult result, boolean cached) {
            return new Answer(result, cached, false, null, null, null);
        }
    }

    /**
     * One delivery's view of the poll.
     *
     * @param started when its first attempt started (this one's, for a first attempt)
     * @param since   what the poll's time limit counts from: its fire, else its start
     */
    private record Attempt(PollState job, PollTarget target, PollTask task, Instant now, Instant started, Instant since) {

        Attempt(PollState job, PollTarget target, PollTask task, Instant now) {
            this(job, target, task, now, task.startedAt() != null ? task.startedAt() : now,
                    task.firedAt() != null ? task.firedAt() : task.startedAt() != null ? task.startedAt() : now);
        }

        Duration took(Clock clock) {
            return Duration.between(started, clock.instant());
        }

        UserId owner() {
            return new UserId(job.ownerId());
        }

        /**
         * Whether waiting {@code wait} from {@code now} and then one more attempt still ends within
         * the poll's time limit (now, not when this attempt started: the attempt itself took time).
         */
        boolean canWait(Instant now, Duration wait, Duration maxPollTime) {
            return !now.plus(wait).plus(target.timeout()).isAfter(since.plus(maxPollTime));
        }
    }

    private TaskHandler.Result fetched(Attempt attempt, FetchResult.Fetched fetched, Normalized normalized, boolean shownCached) {
        PollState job = attempt.job;
        if (sameAsLatest(job, normalized)) {
            return quiet(attempt, PollRecord.fetched(job, attempt.task, attempt.started, attempt.took(clock),
                    fetched.status(), null, validators(fetched), attempt.target.adapt(job.effectiveInterval(), false))
                    .cached(shownCached));
        }
        if (!quotas.mayStore(job.ownerId(), fetched.body().length)) {
            return fail(attempt, fetched.status(), "changed, but not stored: its owner's storage quota is used up; "
                    + "delete jobs, or ask the admin to raise the quota");
        }
        byte[] stored = cpuIfLarge(job.ownerId(), fetched.body().length, () -> BodyCodec.compress(fetched.body()));
        String patch = cpuIfLarge(job.ownerId(), fetched.body().length,
                () -> patches.between(job.id().value(), job.latestHash(), fetched.body(), fetched.contentType()).orElse(null));
        // one transaction: a version is never stored without the poll that found it, nor reported without it
        PollRecord poll = tx.execute(status -> {
            // a redelivered or concurrent poll that saw the same latest hash loses this race, and stores nothing
            UUID versionId = Ids.next();
            boolean stores = history.advanceLatest(job.id(), job.latestHash(), normalized.hash(), versionId);
            if (stores) {
                if (versions.insert(versionId, job.id().value(), normalized.hash(), stored, fetched.body().length,
                        attempt.started, fetched.status(), fetched.contentType())) {
                    jobs.addStored(Map.of(job.id().value(), (long) fetched.body().length));
                }
                quotas.stored(job.ownerId(), fetched.body().length);
                events.versionCreated(job, versionId, normalized.hash(), patch, clock.instant());
                if (attempt.target.items() != null) {
                    pollItems.changed(job.id().value(), job.ownerId(), fetched.body(), attempt.target.items(), attempt.target.dedup(),
                            clock.instant());
                }
            }
            PollRecord recorded = PollRecord.fetched(job, attempt.task, attempt.started, attempt.took(clock),
                    fetched.status(), stores ? versionId : null, validators(fetched),
                    attempt.target.adapt(job.effectiveInterval(), stores)).cached(shownCached);
            if (history.record(recorded) && PollEvents.recovers(job, attempt.target)) {
                events.recovered(job, clock.instant());
            }
            return recorded;
        });
        count(poll);
        return TaskHandler.DONE;
    }

    private TaskHandler.Result quiet(Attempt attempt, PollRecord poll) {
        if (PollEvents.recovers(attempt.job, attempt.target)) {
            tx.executeWithoutResult(status -> {
                if (history.record(poll)) {
                    events.recovered(attempt.job, clock.instant());
                }
            });
        } else {
            quietPolls.record(poll); // most polls: batched with others
        }
        count(poll);
        return TaskHandler.DONE;
    }

    private TaskHandler.Result retryOrFail(Attempt attempt, FetchResult.Failed failed) {
        if (failed.status() != null && failed.status() == 429) {
            limits.throttled(attempt.owner(), attempt.target.url(), failed.retryAfter()); // its owner's requests to the origin wait
        }
        return retry(attempt, failed);
    }

    /** The next attempt after the job's backoff, or the poll's failure when its attempts or its time are spent. */
    private TaskHandler.Result retry(Attempt attempt, FetchResult.Failed failed) {
        return switch (attempt.target.retry().after(attempt.task.attempt(), failed)) {
            case RetryPolicy.RetryAfter retry when attempt.canWait(clock.instant(), retry.delay(), maxPollTime) -> {
                log.debug("Attempt {} to poll job {} failed ({}); next in {}", attempt.task.attempt(), attempt.job.id(),
                        failed.error(), retry.delay());
                yield new TaskHandler.Later(retry.delay(), attempt.task.retried(attempt.started).encode());
            }
            case RetryPolicy.RetryAfter retry -> fail(attempt, failed.status(), failed.error() + "; gave up: another attempt "
                    + "would take the poll past its limit of " + Durations.format(maxPollTime));
            case RetryPolicy.GiveUp giveUp -> fail(attempt, failed.status(), giveUp.error());
        };
    }

    /** Back on the queue without an attempt, after a growing pause; or given up when the poll's time is out. */
    private TaskHandler.Result putOff(Attempt attempt, String why) {
        long factor = 1L << Math.min(attempt.task.deferrals(), 10);
        Duration pause = FIRST_DEFERRAL.multipliedBy(factor);
        pause = pause.compareTo(MAX_DEFERRAL) > 0 ? MAX_DEFERRAL : pause;
        // why: between half and all of it, so that polls put off together do not come back together
        pause = Duration.ofMillis((long) (pause.toMillis() * (0.5 + 0.5 * ThreadLocalRandom.current().nextDouble())));
        meters.counter("pollster.polls.deferred").increment();
        if (!attempt.canWait(clock.instant(), pause, maxPollTime)) {
            return fail(attempt, null, "gave up after " + Durations.format(maxPollTime) + ": " + why);
        }
        log.debug("Poll of job {} put off for {}: {}", attempt.job.id(), pause, why);
        return new TaskHandler.Later(pause, attempt.task.deferred().encode());
    }

    /** The last word: a failed poll and its dead letter, in one transaction. */
    private TaskHandler.Result fail(Attempt attempt, Integer status, String error) {
        PollState job = attempt.job;
        PollRecord poll = PollRecord.failed(job, attempt.task, attempt.started, attempt.took(clock), status, error);
        record(poll, job, attempt.task, error, attempt.target.alertAfterFailures());
        log.info("Poll of job {} failed after {} attempts: {}", job.id(), poll.attempts(), error);
        return TaskHandler.DONE;
    }

    /**
     * A poll that cannot be sent as the job defines it fails at once, without a request upstream
     * and without retries (they would fail the same way): one failed poll in the job's history, one
     * dead letter to replay once it is fixed.
     */
    private TaskHandler.Result failUnsent(PollState job, PollTask task, String error) {
        record(PollRecord.unsent(job, task, clock.instant(), error), job, task, error, alertAfterFailures(job));
        return TaskHandler.DONE;
    }

    /**
     * The transport gave up on the task (it failed or its poller died on every delivery): the poll
     * is over as a failure, so its fire is done and the job fires again on schedule. Runs in the
     * dead letter's transaction; a repeat finds the fire done and records nothing.
     */
    TaskHandler.DeadLetterInfo abandon(PollTask task, String error) {
        Optional<PollState> found = history.findPollState(new JobId(task.jobId()));
        if (found.isEmpty()) {
            return new TaskHandler.DeadLetterInfo(DeadLetterType.POLL, null, null);
        }
        PollState job = found.get();
        if (!over(task, job)) {
            PollRecord poll = PollRecord.abandoned(job, task, clock.instant(), error);
            if (history.record(poll)) {
                events.failed(job, alertAfterFailures(job), poll, clock.instant());
                count(poll);
            }
        }
        return new TaskHandler.DeadLetterInfo(DeadLetterType.POLL, job.id().value(), job.ownerId());
    }

    /** Whether the task's fire is over: its poll recorded, or a later fire's (done marks only move forward). */
    private static boolean over(PollTask task, PollState job) {
        return task.firedAt() != null && job.doneFireAt() != null && !task.firedAt().isAfter(job.doneFireAt());
    }

    /**
     * The job's threshold for {@code poll.failed}; the default when its definition cannot be read
     * (secrets that do not open, a stored URL that does not parse: often why the poll failed).
     */
    private int alertAfterFailures(PollState job) {
        try {
            return targets.at(job.id(), job.version()).map(PollTarget::alertAfterFailures).orElse(JobSpec.DEFAULT_ALERT_AFTER_FAILURES);
        } catch (RuntimeException unreadable) {
            return JobSpec.DEFAULT_ALERT_AFTER_FAILURES;
        }
    }

    private void record(PollRecord failed, PollState job, PollTask task, String error, int alertAfterFailures) {
        // another delivery of the task that recorded the fire first made its events and dead letter
        Boolean recorded = tx.execute(tx -> {
            if (!history.record(failed)) {
                return false;
            }
            events.failed(job, alertAfterFailures, failed, clock.instant());
            deadLetters.record(new DeadLetterSink.DeadLetter(null, DeadLetterType.POLL, job.id().value(), job.ownerId(),
                    queue, task.encode(), error, failed.attempts(), clock.instant()));
            return true;
        });
        if (Boolean.TRUE.equals(recorded)) {
            count(failed);
        }
    }

    private <T> T cpuIfLarge(UUID owner, int bytes, Callable<T> work) {
        try {
            return bytes <= INLINE_BYTES ? work.call() : cpu.call(owner, work);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static PollRecord.Validators validators(FetchResult.Fetched fetched) {
        return new PollRecord.Validators(fetched.etag(), fetched.lastModified());
    }

    /** Nothing new: no version to store, so the outcome goes to the batched quiet-poll write. */
    private static boolean sameAsLatest(PollState job, Normalized normalized) {
        return Arrays.equals(normalized.hash(), job.latestHash());
    }

    private void count(PollRecord poll) {
        meters.counter("pollster.polls", "outcome", poll.outcome().label()).increment();
        if (poll.outcome() == PollOutcome.CHANGED) {
            meters.counter("pollster.versions").increment();
        }
        duration.record(Duration.ofMillis(poll.durationMs()));
    }

    private static String firstNonNull(String a, String b) {
        return a != null ? a : b;
    }
}
