package io.pollster.fetch;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * At most a fixed number of requests in flight per host. A host's semaphore lives only while
 * someone holds or waits for it, so a million distinct hosts over time cost nothing at rest.
 */
final class HostPermits {

    private final int permitsPerHost;
    private final Map<String, Gate> gates = new ConcurrentHashMap<>();

    HostPermits(int permitsPerHost) {
        this.permitsPerHost = permitsPerHost;
    }

    /**
     * Waits up to {@code maxWait} for a free slot of the host; null when none came free. Close the
     * permit to give it back. Bounded, so a slow host cannot hold a poller's slots indefinitely.
     */
    Permit acquire(String host, Duration maxWait) throws InterruptedException {
        String key = host.toLowerCase(Locale.ROOT);
        Gate gate = gates.compute(key, (k, existing) -> {
            Gate g = existing == null ? new Gate(new Semaphore(permitsPerHost, true)) : existing;
            g.users++;
            return g;
        });
        try {
            if (!gate.semaphore.tryAcquire(Math.max(0, maxWait.toNanos()), TimeUnit.NANOSECONDS)) {
                leave(key);
                return null;
            }
        } catch (InterruptedException e) {
            leave(key);
            throw e;
        }
        return () -> {
            gate.semaphore.release();
            leave(key);
        };
    }

    /** Hosts with a live semaphore; for tests. */
    int trackedHosts() {
        return gates.size();
    }

    private void leave(String key) {
        gates.computeIfPresent(key, (k, gate) -> --gate.users == 0 ? null : gate);
    }

    /** A held slot. */
    interface Permit extends AutoCloseable {
        @Override
        void close();
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
