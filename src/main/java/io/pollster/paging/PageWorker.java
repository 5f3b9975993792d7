package io.pollster.paging;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

import io.micrometer.core.instrument.MeterRegistry;
import io.pollster.dedup.Normalizer;
import io.pollster.fetch.FetchResult;
import io.pollster.fetch.Fetcher;
import io.pollster.fetch.RetryPolicy;
import io.pollster.system.memory.ByteBudget;
import io.pollster.system.secret.UnreadableSecretException;
import io.pollster.transport.DeadLetterType;
import io.pollster.transport.TaskHandler;
import io.pollster.user.UserId;
import io.pollster.version.BodyCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * One delivery of a page task: the job's rate and its owner's pause of the origin first (waiting goes back on
 * the queue, holding no slot), then one attempt at the page's URL; a failure is retried after its
 * backoff (a 429's {@code Retry-After} pauses every request of the job's owner to that origin) and after the
 * last attempt the page fails with a dead letter. A fetched page goes to {@link PageRecorder}.
 */
@Component
class PageWorker implements TaskHandler {

    private static final Logger log = LoggerFactory.getLogger(PageWorker.class);
    private static final long FIRST_BYTES = 64 * 1024;
    private static final Duration MAX_DEFERRAL = Duration.ofSeconds(30);

    private final Runs runs;
    private final RunTargets targets;
    private final Fetcher fetcher;
    private final Normalizer normalizer;
    private final ItemSplitter splitter;
    private final PageRecorder recorder;
    private final RequestLimits limits;
    private final ByteBudget budget;
    private final MeterRegistry meters;
    private final Clock clock;
    private final Duration hostWait;
    private final OwnerSlots owners;
    private final ItemQuota quota;

    PageWorker(Runs runs, RunTargets targets, Fetcher fetcher, Normalizer normalizer, ItemSplitter splitter,
               PageRecorder recorder, RequestLimits limits, ByteBudget budget, MeterRegistry meters, Clock clock,
               @Value("${pollster.poller.host-wait:1s}") Duration hostWait, PagingProperties properties, ItemQuota quota) {
        this.quota = quota;
        this.runs = runs;
        this.targets = targets;
        this.fetcher = fetcher;
        this.normalizer = normalizer;
        this.splitter = splitter;
        this.recorder = recorder;
        this.limits = limits;
        this.budget = budget;
        this.meters = meters;
        this.clock = clock;
        this.hostWait = hostWait;
        this.owners = new OwnerSlots(Math.max(1, properties.concurrency() / 2));
    }

    @Override
    public Result handle(Delivery delivery) throws InterruptedException {
        PageTask task = PageTask.decode(delivery.payload());
        Optional<RunTarget> found;
        try {
            found = targets.of(task.jobId());
        } catch (UnreadableSecretException e) {
            recorder.failed(task, null, "the job's secret headers cannot be decrypted; send its secretHeaders again", true);
            return DONE;
        }
        if (found.isEmpty()) {
            return DONE; // the job is gone, and its runs with it
        }
        RunTarget target = found.get();
        Runs.Fetchable fetchable = runs.fetchable(task.runId(), task.number()).orElse(null);
        Runs.PageRow page = fetchable == null ? null : fetchable.page();
        if (page == null || page.state().equals("done") || page.state().equals("pending")
                || (page.state().equals("queued") && !page.runRunning())) {
            return DONE; // settled already (a task delivered twice), or its run ended without it
        }
        URI url = page.follow() ? URI.create(page.target())
                : Paginator.pageUrl(fetchable.settings(), target.url(), task.number(), page.target());
        UserId owner = new UserId(target.ownerId());
        Duration wait = limits.before(target.jobId(), target.rateLimit(), owner, url);
        if (!wait.isZero()) {
            return putOff(task, wait);
        }
        AutoCloseable slot = owners.tryTake(target.ownerId());
        if (slot == null) {
            return putOff(task, Duration.ofMillis(200)); // its owner's other pages hold their share of this node
        }
        try (slot) {
            return fetch(task, target, page, fetchable.settings(), url, owner);
        } catch (InterruptedException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private Result fetch(PageTask task, RunTarget target, Runs.PageRow page, io.pollster.job.JobSpec.Pagination settings,
                         URI url, UserId owner) throws InterruptedException {
        Instant started = task.startedAt() != null ? task.startedAt() : clock.instant();
        try (ByteBudget.Reservation memory = budget.reserve(target.ownerId(), FIRST_BYTES, hostWait)) {
            if (memory == null) {
                return putOff(task, Duration.ofSeconds(1));
            }
            FetchResult result = fetcher.fetch(page.follow() ? target.detailRequest(url) : target.request(url), owner, hostWait, memory);
            if (!(result instanceof FetchResult.HostBusy)) {
                meters.counter("pollster.upstream.requests", "status", status(result)).increment();
            }
            return switch (result) {
                case FetchResult.HostBusy busy -> putOff(task, Duration.ofMillis(200));
                case FetchResult.OutOfBudget out -> putOff(task, Duration.ofSeconds(1));
                case FetchResult.NotModified notModified -> failed(task, owner, url, target, started,
                        new FetchResult.Failed(304, "answered 304 Not Modified to a request that was not conditional", false,
                                null, notModified.duration()));
                case FetchResult.Failed failed -> failed(task, owner, url, target, started, failed);
                case FetchResult.Fetched fetched when quota.full(target.ownerId()) && (page.follow() || target.items() != null) -> {
                    recorder.refused(task, fetched.status(), ItemQuota.FULL);
                    yield DONE;
                }
                case FetchResult.Fetched fetched when page.follow() -> followed(task, page, fetched);
                case FetchResult.Fetched fetched -> fetched(task, target, url, fetched, settings);
            };
        }
    }

    private Result fetched(PageTask task, RunTarget target, URI url, FetchResult.Fetched fetched,
                           io.pollster.job.JobSpec.Pagination settings) {
        PageDocument document = PageDocument.parse(fetched.body());
        byte[] hash = pageHash(normalizer.normalize(fetched.body(), fetched.contentType(), target.dedup()).hash(), target);
        ItemSplitter.Split split = target.items() == null ? null : splitter.split(document, target.items(), target.dedup());
        recorder.fetched(task, target, new PageRecorder.Page(fetched.status(), url, document, fetched.links(), hash, split,
                settings));
        meters.counter("pollster.pages", "outcome", "done").increment();
        return DONE;
    }

    /** An item's detail: its content from now on, compressed off the transaction. */
    private Result followed(PageTask task, Runs.PageRow page, FetchResult.Fetched fetched) {
        recorder.followed(task, BodyCodec.compress(fetched.body()), fetched.body().length, fetched.contentType(),
                Normalizer.sha256(fetched.body()), fetched.status());
        meters.counter("pollster.pages", "outcome", "done").increment();
        return DONE;
    }

    private Result failed(PageTask task, UserId owner, URI url, RunTarget target, Instant started, FetchResult.Failed failed) {
        if (failed.status() != null && failed.status() == 429) {
            limits.throttled(owner, url, failed.retryAfter()); // the owner's requests to the origin wait
        }
        return switch (target.retry().after(task.attempt(), failed)) {
            case RetryPolicy.RetryAfter retry -> {
                log.debug("Page {} of run {} failed ({}); next attempt in {}", task.number(), task.runId(), failed.error(),
                        retry.delay());
                yield new Later(retry.delay(), task.retried(started).encode());
            }
            case RetryPolicy.GiveUp giveUp -> {
                recorder.failed(task, failed.status(), giveUp.error(), true);
                meters.counter("pollster.pages", "outcome", "failed").increment();
                meters.counter("pollster.dead.letters", "type", DeadLetterType.PAGE.wireName()).increment();
                yield DONE;
            }
        };
    }

    /** Back on the queue without an attempt, for about {@code wait} (a little more, spread). */
    private Result putOff(PageTask task, Duration wait) {
        Duration pause = wait.compareTo(MAX_DEFERRAL) > 0 ? MAX_DEFERRAL : wait;
        pause = pause.plusMillis(ThreadLocalRandom.current().nextLong(1 + pause.toMillis() / 10));
        return new Later(pause, task.deferred().encode());
    }

    @Override
    public DeadLetterInfo abandon(byte[] payload, String error) {
        PageTask task;
        try {
            task = PageTask.decode(payload);
        } catch (IllegalArgumentException poison) {
            return new DeadLetterInfo(DeadLetterType.PAGE, null, null);
        }
        recorder.failed(task, null, error, false);
        return runs.ownerId(task.runId())
                .map(owner -> new DeadLetterInfo(DeadLetterType.PAGE, task.jobId(), owner))
                .orElse(new DeadLetterInfo(DeadLetterType.PAGE, null, null));
    }

    /**
     * A page's hash names what it held and how it was read: with other item settings, the same
     * body is new data (its items split differently), so a changed {@code items} re-reads every page.
     */
    private static byte[] pageHash(byte[] body, RunTarget target) {
        if (target.items() == null) {
            return body;
        }
        try {
            var digest = java.security.MessageDigest.getInstance("SHA-256");
            digest.update(body);
            digest.update(target.items().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return digest.digest();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every JDK has SHA-256", e);
        }
    }

    private static String status(FetchResult result) {
        return switch (result) {
            case FetchResult.Fetched f -> Integer.toString(f.status());
            case FetchResult.NotModified n -> "304";
            case FetchResult.Failed f -> f.status() == null ? "error" : Integer.toString(f.status());
            case FetchResult.HostBusy b -> throw new IllegalArgumentException("nothing was sent");
            case FetchResult.OutOfBudget o -> "error";
        };
    }
}
