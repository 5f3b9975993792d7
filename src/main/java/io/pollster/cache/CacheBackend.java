package io.pollster.cache;

import java.time.Duration;
import java.util.UUID;

/**
 * Where shared answers and their locks live: PostgreSQL or Redis. Every time is measured on the
 * backend's clock, so nodes with skewed clocks still agree on what is fresh and whose lease ran
 * out. A write wakes the waiters of every node through {@link CacheWaiters}.
 *
 * <p>Freshness is the reader's: an answer serves a lookup only while it is younger than the
 * lookup's {@code maxAge} (the reading job's ttl, as an HTTP request's {@code max-age}), and no
 * longer than the entry itself allows (a failure's few seconds, an answer's retention).
 */
interface CacheBackend {

    /** {@code postgres} or {@code redis}, as {@code POLLSTER_CACHE} names it. */
    String name();

    /**
     * The answer for {@code key} younger than {@code maxAge}; or, when there is none and no one
     * holds the lease, the lease for {@code lease} with a new fence; else {@link Busy}. One round trip.
     *
     * @param etag         the asking job's ETag: a fresh answer with the same one is {@link Same}
     * @param lastModified the asking job's Last-Modified, compared when either side has no ETag
     * @param inlineLimit  a hit's answer up to this size comes with it; a larger one is {@link #read} after
     */
    Lookup lookup(byte[] key, Duration maxAge, Duration lease, String etag, String lastModified, int inlineLimit);

    /** The answer for {@code key} while any reader may take it, or null when there is none (any more). */
    byte[] read(byte[] key);

    /**
     * Stores the answer got under {@code fence} by a poll of {@code storedBy}, now: it serves readers
     * for at most {@code serves} (each within its own max age) and is kept (for revalidation) for
     * {@code retain}; gives the lease back and wakes the waiters.
     *
     * @return false when a later fence was taken meanwhile: nothing was written
     */
    boolean store(byte[] key, long fence, byte[] answer, String etag, String lastModified, UUID storedBy, Duration serves,
                  Duration retain);

    /**
     * The kept answer is still current (the upstream answered the stored validators with 304 to a
     * poll of {@code storedBy}): as if stored now, kept and serving for {@code retain}; new
     * validators replace the old when given.
     *
     * @return false when a later fence was taken, or there is no kept answer any more
     */
    boolean refresh(byte[] key, long fence, String etag, String lastModified, UUID storedBy, Duration retain);

    /** Gives the lease back without an answer (nothing was asked upstream) and wakes the waiters. */
    void release(byte[] key, long fence);

    /**
     * Claims that the cluster names its entries under {@code keyId} for {@code hold}: true when no
     * other live node named them under another key within its own hold (then this one takes it over
     * or extends it), false when one does: this node's entries are not the others'.
     */
    boolean claimKeyCheck(byte[] keyId, Duration hold);

    /** Answers quickly when the backend is reachable, throws otherwise (readiness). */
    void check();

    /** What a lookup found. */
    sealed interface Lookup {
    }

    /**
     * A fresh answer, for {@code freshLeft} more (for this reader).
     *
     * @param answer   the answer, or null when it is larger than the lookup's inline limit
     * @param size     the answer's size in bytes
     * @param storedBy the user whose poll made the call
     */
    record Hit(byte[] answer, long size, Duration freshLeft, UUID storedBy) implements Lookup {
    }

    /** A fresh answer whose validators are the asking job's own: the job learns nothing new. */
    record Same(String etag, String lastModified, UUID storedBy) implements Lookup {
    }

    /**
     * The lease is the caller's: it asks upstream, sending the kept answer's validators if any.
     *
     * @param fence larger than any fence taken before for the key
     */
    record Won(long fence, String etag, String lastModified) implements Lookup {
    }

    /** Another poll holds the lease: wait for its answer. */
    record Busy() implements Lookup {
    }
}
