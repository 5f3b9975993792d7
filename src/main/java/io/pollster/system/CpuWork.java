package io.pollster.system;

import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Runs CPU-heavy steps (normalising and hashing a large body, comparing two versions) on a few
 * platform threads instead of the caller's virtual thread. A virtual thread computing for a second
 * pins its carrier, and there are only as many carriers as cores, shared with API requests and
 * heartbeats; platform threads are preempted by the operating system, so the rest of the process
 * stays responsive however heavy the work. The caller's virtual thread waits without a carrier.
 *
 * <p>One user's work takes at most half of the threads (at least one) at once; their further
 * work waits its turn on its own, so one user's many heavy requests cannot queue ahead of
 * everyone else's.
 */
public final class CpuWork implements AutoCloseable {

    private final ExecutorService threads;
    private final int perUser;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition freed = lock.newCondition();
    private final Map<UUID, Integer> running = new HashMap<>();
    private final Map<UUID, Integer> waiting = new HashMap<>();

    /** @param name the threads' name prefix, as thread dumps show them */
    public CpuWork(int threads, String name) {
        this.threads = Executors.newFixedThreadPool(threads, Thread.ofPlatform().name(name + "-", 0).daemon().factory());
        this.perUser = Math.max(1, threads / 2);
    }

    /** Runs {@code work} on one of the threads once the owner's share has room, waiting as long as that takes. */
    public <T> T call(UUID owner, Callable<T> work) throws Exception {
        return call(owner, Integer.MAX_VALUE, work);
    }

    /**
     * Like {@link #call(UUID, Callable)}, but refuses ({@link Crowded}) when {@code maxWaiting} of
     * the owner's calls wait for their turn already: a flood of one user's requests is answered at
     * once instead of piling up waiting callers.
     */
    public <T> T call(UUID owner, int maxWaiting, Callable<T> work) throws Exception {
        enter(owner, maxWaiting);
        try {
            Future<T> result = threads.submit(work);
            try {
                return result.get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof Error error) {
                    throw error;
                }
                throw e.getCause() instanceof Exception cause ? cause : e;
            } catch (InterruptedException e) {
                result.cancel(true);
                Thread.currentThread().interrupt();
                throw e;
            }
        } finally {
            leave(owner);
        }
    }

    /** Work of the owner running now; for tests. */
    public int running(UUID owner) {
        lock.lock();
        try {
            return running.getOrDefault(owner, 0);
        } finally {
            lock.unlock();
        }
    }

    /** Calls of the owner waiting for their turn; for tests. */
    public int waiting(UUID owner) {
        lock.lock();
        try {
            return waiting.getOrDefault(owner, 0);
        } finally {
            lock.unlock();
        }
    }

    private void enter(UUID owner, int maxWaiting) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            if (running.getOrDefault(owner, 0) >= perUser) {
                if (waiting.getOrDefault(owner, 0) >= maxWaiting) {
                    throw new Crowded();
                }
                waiting.merge(owner, 1, Integer::sum);
                try {
                    while (running.getOrDefault(owner, 0) >= perUser) {
                        freed.await();
                    }
                } finally {
                    waiting.computeIfPresent(owner, (key, n) -> n == 1 ? null : n - 1);
                }
            }
            running.merge(owner, 1, Integer::sum);
        } finally {
            lock.unlock();
        }
    }

    private void leave(UUID owner) {
        lock.lock();
        try {
            running.computeIfPresent(owner, (key, n) -> n == 1 ? null : n - 1);
            freed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The owner has as many calls waiting for their turn as the caller allows. */
    public static final class Crowded extends RuntimeException {
        Crowded() {
            super("too many of this user's calls wait for their turn", null, false, false);
        }
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }
}
