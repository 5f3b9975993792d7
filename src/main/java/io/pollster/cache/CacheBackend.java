package io.pollster.cache;

import java.time.Duration;

/**
 * Where shared answers and their locks live: PostgreSQL or Redis. Every time is measured on the
 * backend's clock, so nodes with skewed clocks still agree on what is fresh and whose lease ran
 * out. A write wakes the waiters of every node through {@link CacheWaiters}.
 */
interface CacheBackend {

    /** {@code postgres} or {@code redis}, as {@code POLLSTER_CACHE} names it. */
    String name();

    /**
     * The fresh answer for {@code key}; or, when there is none and no one holds the lease, the
     * lease for {@code lease} with a new fence; else {@link Busy}.
     *
     * @param etag         the asking job's ETag: a fresh answer with the same one is {@link Same}
     * @param lastModified the asking job's Last-Modified, compared when either side has no ETag
     * @param inlineLimit  a hit's answer up to this size comes with it; a larger one is {@link #read} after
     */
    Lookup lookup(byte[] key, Duration lease, String etag, String lastModified, int inlineLimit);

    /** The fresh answer for {@code key}, or null when there is none (any more). */
    byte[] read(byte[] key);

    /**
     * Stores the answer got under {@code fence}, fresh for {@code fresh} and kept (for revalidation)
     * for {@code retain}; gives the lease back and wakes the waiters.
     *
     * @return false when a later fence was taken meanwhile: nothing was written
     */
    boolean store(byte[] key, long fence, byte[] answer, String etag, String lastModified, Duration fresh, Duration retain);

    /**
     * The kept answer is still current (the upstream answered the stored validators with 304):
     * fresh again for {@code fresh}; new validators replace the old when given.
     *
     * @return false when a later fence was taken, or there is no kept answer any more
     */
    boolean refresh(byte[] key, long fence, String etag, String lastModified, Duration fresh, Duration retain);

    /** Gives the lease back without an answer (nothing was asked upstream) and wakes the waiters. */
    void release(byte[] key, long fence);

    /** Answers quickly when the backend is reachable, throws otherwise (readiness). */
    void check();

    /** What a lookup found. */
    sealed interface Lookup {
    }

    /**
     * A fresh answer, for {@code freshLeft} more.
     *
     * @param answer the answer, or null when it is larger than the lookup's inline limit
     * @param size   the answer's size in bytes
     */
    record Hit(byte[] answer, long size, Duration freshLeft) implements Lookup {
    }

    /** A fresh answer whose validators are the asking job's own: the job learns nothing new. */
    record Same(String etag, String lastModified) implements Lookup {
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
