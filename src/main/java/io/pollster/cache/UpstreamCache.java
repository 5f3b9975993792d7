package io.pollster.cache;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.LongPredicate;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.pollster.fetch.FetchRequest;
import io.pollster.fetch.FetchResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One upstream call per TTL for every poll, of any job, user or node, that sends the same request
 * (a job's {@code cache}). A poll that finds an answer younger than its own job's {@code ttl}
 * takes it; one that finds none takes the lease and asks upstream, sending the kept answer's
 * validators when there is one, and stores what it got; the others wait for that, woken when it
 * lands (and looking again at least every second), up to their {@code waitTimeout}. Failures the
 * upstream gave serve readers for {@code min(ttl, 5s)}, so a failing upstream is asked once per
 * 5 s, not once per job; failures of the holder's own making (its timeout, the body limit) are
 * never shared: the lease goes back and the next poll asks with its own settings. Each poll then
 * sees the answer as if it had asked itself: a job whose validators match the answer's gets a 304.
 */
public class UpstreamCache {

    private static final Logger log = LoggerFactory.getLogger(UpstreamCache.class);
    static final Duration FAILURES_FOR = Duration.ofSeconds(5);
    /** Answers up to this size come with the lookup; larger ones are read once the poll has the memory. */
    static final int INLINE_BYTES = 64 * 1024;
    /** Polls of one node that wait for the same call in their slots; more go back on the queue. */
    static final int WAITERS_PER_KEY = 4;
    /** The longest a waiter sleeps without a notification before it looks again. */
    static final Duration FALLBACK_POLL = Duration.ofSeconds(1);

    private final CacheBackend backend;
    private final CacheWaiters waiters;
    private final RequestKey keys;
    private final Clock clock;
    private final Counter hits;
    private final Counter misses;
    private final Counter coalesced;
    private final Counter timeouts;
    private final Duration fallbackPoll;
    private final long maxEntryBytes;

    /** @param maxEntryBytes the largest answer stored ({@code pollster.cache-max-entry-size}); a larger one is not shared */
    UpstreamCache(CacheBackend backend, CacheWaiters waiters, RequestKey keys, Clock clock, MeterRegistry meters,
                  long maxEntryBytes) {
        this(backend, waiters, keys, clock, meters, maxEntryBytes, FALLBACK_POLL);
    }

    /** @param fallbackPoll the longest a waiter sleeps without a notification */
    UpstreamCache(CacheBackend backend, CacheWaiters waiters, RequestKey keys, Clock clock, MeterRegistry meters,
                  long maxEntryBytes, Duration fallbackPoll) {
        this.fallbackPoll = fallbackPoll;
        this.maxEntryBytes = maxEntryBytes;
        this.backend = backend;
        this.waiters = waiters;
        this.keys = keys;
        this.clock = clock;
        // hit: a fresh answer was there; miss: none, this poll asked upstream for everyone; coalesced: another
        // poll's call was under way and this one waited for it; timeout: that call did not answer within waitTimeout
        this.hits = counter(meters, "hit");
        this.misses = counter(meters, "miss");
        this.coalesced = counter(meters, "coalesced");
        this.timeouts = counter(meters, "timeout");
    }

    /** {@code postgres} or {@code redis}. */
    public String backend() {
        return backend.name();
    }

    /**
     * The answer to a request for one poll.
     *
     * @param reserve  asked before a stored answer of that many bytes is read: false when the
     *                 poll's memory cannot hold it (the poll then gets {@link FetchResult.OutOfBudget})
     * @param upstream makes the call (one attempt), with the validators it is given; returning
     *                 {@link FetchResult.HostBusy} means nothing was sent, and the lease goes back
     */
    public Shared fetch(Call call, LongPredicate reserve, Function<FetchRequest, FetchResult> upstream) {
        FetchRequest request = call.request();
        byte[] key = keys.of(request);
        String hex = HexFormat.of().formatHex(key);
        Instant started = clock.instant();
        Instant deadline = started.plus(call.waitTimeout());
        boolean waited = false;
        boolean asked = false;
        while (true) {
            try (CacheWaiters.Waiter waiter = waiters.register(hex)) {
                CacheBackend.Lookup found;
                byte[] answer = null;
                try {
                    found = backend.lookup(key, call.ttl(), call.lease(), request.ifNoneMatch(), request.ifModifiedSince(),
                            INLINE_BYTES);
                    if (found instanceof CacheBackend.Hit hit) {
                        if (!reserve.test(hit.size())) {
                            return new Answer(new FetchResult.OutOfBudget(took(started)), !asked, true, Duration.ZERO);
                        }
                        answer = hit.answer() != null ? hit.answer() : backend.read(key);
                        if (answer == null) {
                            continue; // it went between the two looks: look again
                        }
                    }
                } catch (RuntimeException e) {
                    return new Unavailable("the shared cache (" + backend.name() + ") cannot be reached: " + e.getMessage());
                }
                switch (found) {
                    case CacheBackend.Hit hit -> {
                        if (CachedAnswer.unshared(answer)) {
                            // the last answer was too large to keep: this poll asks for itself, with its own validators
                            if (!asked) {
                                misses.increment();
                            }
                            return new Answer(upstream.apply(request), false, true, Duration.ZERO);
                        }
                        count(asked, waited);
                        FetchResult decoded = CachedAnswer.decode(answer, took(started));
                        return new Answer(forJob(decoded, request), !asked, asked || call.owner().equals(hit.storedBy()),
                                hit.freshLeft());
                    }
                    case CacheBackend.Same same -> {
                        count(asked, waited);
                        return new Answer(new FetchResult.NotModified(same.etag(), same.lastModified(), took(started)),
                                !asked, asked || call.owner().equals(same.storedBy()), Duration.ZERO);
                    }
                    case CacheBackend.Won won -> {
                        if (!asked) {
                            misses.increment();
                        }
                        asked = true;
                        FetchResult result = ask(key, won, call, upstream);
                        if (result != null) {
                            return new Answer(result instanceof FetchResult.Fetched f ? forJob(f, request) : result, false,
                                    true, Duration.ZERO);
                        }
                        // the upstream confirmed the kept answer: read it like any other poll
                    }
                    case CacheBackend.Busy busy -> {
                        Duration left = Duration.between(clock.instant(), deadline);
                        if (left.isNegative() || left.isZero()) {
                            timeouts.increment();
                            return new TimedOut(took(started));
                        }
                        if (waiters.waitingFor(hex) > WAITERS_PER_KEY) {
                            // enough of this node's slots wait for this call already: the rest wait on the queue
                            return new Crowded(left.compareTo(fallbackPoll) < 0 ? left : fallbackPoll);
                        }
                        waited = true;
                        try {
                            waiter.await(left.compareTo(fallbackPoll) < 0 ? left : fallbackPoll);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new IllegalStateException("interrupted while waiting for a shared answer", e);
                        }
                    }
                }
            }
        }
    }

    /**
     * The holder's call: asks upstream and stores the answer under its fence; null when the
     * upstream confirmed the kept answer (a 304 to its validators), which is fresh again.
     */
    private FetchResult ask(byte[] key, CacheBackend.Won won, Call call, Function<FetchRequest, FetchResult> upstream) {
        FetchRequest request = call.request();
        Duration ttl = call.ttl();
        FetchResult result;
        try {
            result = upstream.apply(new FetchRequest(request.method(), request.url(), request.headers(),
                    request.secretHeaders(), request.body(), request.timeout(), won.etag(), won.lastModified()));
        } catch (RuntimeException | Error e) {
            releaseQuietly(key, won.fence());
            throw e;
        }
        if (Thread.interrupted()) {
            // the node is stopping and cut the call short: that says nothing about the upstream. The lease
            // goes back with the flag cleared for a moment (Redis's client refuses an interrupted caller)
            try {
                releaseQuietly(key, won.fence());
            } finally {
                Thread.currentThread().interrupt();
            }
            return result;
        }
        try {
            switch (result) {
                case FetchResult.Fetched f -> {
                    byte[] encoded = CachedAnswer.encode(f);
                    if (encoded.length > maxEntryBytes) {
                        // too large to keep for everyone: polls ask for themselves until the mark goes
                        backend.store(key, won.fence(), CachedAnswer.UNSHARED, null, null, call.owner(), FAILURES_FOR,
                                FAILURES_FOR);
                    } else {
                        backend.store(key, won.fence(), encoded, f.etag(), f.lastModified(), call.owner(), retention(ttl),
                                retention(ttl));
                    }
                }
                // what this poll's own settings made of the call (its timeout, the body limit) is not the upstream's
                // answer: the lease goes back, and the next poll asks with its own
                case FetchResult.Failed f when !f.upstreams() -> backend.release(key, won.fence());
                // each reader takes it for min(its ttl, 5 s)
                case FetchResult.Failed f -> backend.store(key, won.fence(), CachedAnswer.encode(f), null, null, call.owner(),
                        FAILURES_FOR, FAILURES_FOR);
                case FetchResult.NotModified n -> {
                    if (backend.refresh(key, won.fence(), n.etag(), n.lastModified(), call.owner(), retention(ttl))) {
                        return null;
                    }
                    releaseQuietly(key, won.fence());
                    // the kept answer went meanwhile: the 304 means nothing to the job, which asks again
                    return new FetchResult.Failed(null, "the upstream answered 304 to a shared answer that has expired"
                            + " since; asked again on the next attempt", true, null, n.duration());
                }
                // this node could not ask (its host's slots, its memory): nothing learnt, the next poll asks
                case FetchResult.HostBusy b -> backend.release(key, won.fence());
                case FetchResult.OutOfBudget o -> backend.release(key, won.fence());
            }
        } catch (RuntimeException e) {
            // the answer is real: this poll uses it; the others ask again once the lease runs out
            log.warn("Could not share an upstream answer through the {} cache: {}", backend.name(), e.getMessage());
        }
        return result;
    }

    /**
     * How long an answer is kept: its storing job's ttl, and as long again after (at least a minute,
     * at most an hour more) for its validators to revalidate it with a 304. Within that, it serves
     * each reader for that reader's own ttl.
     */
    static Duration retention(Duration ttl) {
        Duration extra = ttl.compareTo(Duration.ofMinutes(1)) < 0 ? Duration.ofMinutes(1)
                : ttl.compareTo(Duration.ofHours(1)) > 0 ? Duration.ofHours(1) : ttl;
        return ttl.plus(extra);
    }

    /** The answer as the job would have had it asking with its own validators: a 304 when they match. */
    private static FetchResult forJob(FetchResult answer, FetchRequest request) {
        if (answer instanceof FetchResult.Fetched f && sameValidators(f.etag(), f.lastModified(), request)) {
            return new FetchResult.NotModified(f.etag(), f.lastModified(), f.duration());
        }
        return answer;
    }

    private static boolean sameValidators(String etag, String lastModified, FetchRequest request) {
        if (request.ifNoneMatch() != null && etag != null) {
            return request.ifNoneMatch().equals(etag);
        }
        return request.ifModifiedSince() != null && lastModified != null && request.ifModifiedSince().equals(lastModified);
    }

    private void releaseQuietly(byte[] key, long fence) {
        try {
            backend.release(key, fence);
        } catch (RuntimeException e) {
            log.debug("Could not give a cache lease back; it runs out by itself", e);
        }
    }

    private void count(boolean asked, boolean waited) {
        if (!asked) {
            (waited ? coalesced : hits).increment();
        }
    }

    private Duration took(Instant started) {
        return Duration.between(started, clock.instant());
    }

    private static Counter counter(MeterRegistry meters, String result) {
        return Counter.builder("pollster.cache.requests").tag("result", result)
                .description("Polls of jobs with a cache by how they got their answer: hit, miss (asked upstream for"
                        + " everyone), coalesced (waited for another poll's call), timeout (that call did not answer in time)")
                .register(meters);
    }

    /** What the cache gave a poll. */
    public sealed interface Shared {
    }

    /**
     * An upstream answer for the poll (a 2xx, a 304 for the job, a failure, or that nothing could be
     * sent from this node).
     *
     * @param cached    whether another poll's call made it
     * @param mine      whether the call that made it was a poll of the same user (always, when not
     *                  cached): only then may the user be told it was shared
     * @param freshLeft how much longer it stays fresh for this poll, when it came from the cache
     */
    public record Answer(FetchResult result, boolean cached, boolean mine, Duration freshLeft) implements Shared {

        public Answer {
            Objects.requireNonNull(result, "result");
        }
    }

    /**
     * One poll's request through the cache.
     *
     * @param request the job's request; its validators are the job's own
     * @param owner   the job's owner: who stores the answer this poll's call gets
     * @param ttl     the oldest answer this poll takes; and how long the answer its call gets is kept
     * @param waitTimeout how long this poll waits for another's call
     * @param lease   how long one attempt may take, waits for its host's slots included: the lock's expiry
     */
    public record Call(FetchRequest request, UUID owner, Duration ttl, Duration waitTimeout, Duration lease) {

        public Call {
            Objects.requireNonNull(owner, "owner");
        }
    }

    /** Enough polls of this node wait for the same call already: this one waits on the queue, for {@code retryIn}. */
    public record Crowded(Duration retryIn) implements Shared {
    }

    /** Another poll's call did not answer within the poll's {@code waitTimeout}. */
    public record TimedOut(Duration waited) implements Shared {
    }

    /** The backend could not be reached: nothing was asked upstream. */
    public record Unavailable(String error) implements Shared {
    }
}
