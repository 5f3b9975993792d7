package io.pollster.fetch;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import io.pollster.user.UserId;

/**
 * At most a fixed number of requests in flight per host, and of those at most a smaller number
 * per user: one user's slow downloads from a host leave the rest of its permits to everyone else,
 * so another user's request to it gets one at once rather than after those downloads end. A
 * user's requests beyond their share wait on their own semaphore, not in the host's queue. A
 * semaphore lives only while someone holds or waits for it, so a million distinct hosts and
 * users over time cost nothing at rest.
 */
final class HostPermits {

    private final int permitsPerHost;
    private final int permitsPerUser;
    /** Keyed by a host (its lower-cased name) or by a {@link UserHost}. */
    private final Map<Object, Gate> gates = new ConcurrentHashMap<>();

    /** @param permitsPerUser at most {@code permitsPerHost}; equal to it, a user may take every permit */
    HostPermits(int permitsPerHost, int permitsPerUser) {
        if (permitsPerUser < 1 || permitsPerUser > permitsPerHost) {
            throw new IllegalArgumentException("permitsPerUser must be between 1 and permitsPerHost");
        }
        this.permitsPerHost = permitsPerHost;
        this.permitsPerUser = permitsPerUser;
    }

    /**
     * Waits up to {@code maxWait} for a free slot of the host within {@code user}'s share; null
     * when none came free. Close the permit to give it back. Bounded, so a slow host cannot hold a
     * poller's slots indefinitely.
     */
    Permit acquire(String host, UserId user, Duration maxWait) throws InterruptedException {
        long deadline = System.nanoTime() + Math.max(0, maxWait.toNanos());
        String hostKey = host.toLowerCase(Locale.ROOT);
        UserHost userKey = new UserHost(user, hostKey);
        Gate own = take(userKey, permitsPerUser, deadline);
        if (own == null) {
            return null;
        }
        Gate shared;
        try {
            shared = take(hostKey, permitsPerHost, deadline);
        } catch (InterruptedException e) {
            give(userKey, own);
            throw e;
        }
        if (shared == null) {
            give(userKey, own);
            return null;
        }
        return () -> {
            give(hostKey, shared);
            give(userKey, own);
        };
    }

    /** Semaphores alive (hosts' and users' shares of them); for tests. */
    int tracked() {
        return gates.size();
    }

    private Gate take(Object key, int permits, long deadline) throws InterruptedException {
        Gate gate = gates.compute(key, (k, existing) -> {
            Gate g = existing == null ? new Gate(new Semaphore(permits, true)) : existing;
            g.users++;
            return g;
        });
        try {
            if (gate.semaphore.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                return gate;
            }
        } catch (InterruptedException e) {
            leave(key);
            throw e;
        }
        leave(key);
        return null;
    }

    private void give(Object key, Gate gate) {
        gate.semaphore.release();
        leave(key);
    }

    private void leave(Object key) {
        gates.computeIfPresent(key, (k, gate) -> --gate.users == 0 ? null : gate);
    }

    /** A held slot. */
    interface Permit extends AutoCloseable {
        @Override
        void close();
    }

    private record UserHost(UserId user, String host) {
    }

    private static final class Gate {
        private final Semaphore semaphore;
        // why: only read and written inside ConcurrentHashMap.compute, which serialises per key
        private int users;

        private Gate(Semaphore semaphore) {
            this.semaphore = semaphore;
        }
    }
}
