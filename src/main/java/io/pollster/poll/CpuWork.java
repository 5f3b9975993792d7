package io.pollster.poll;

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
 * Runs CPU-heavy steps of a poll (normalising and hashing a large body) on a few platform
 * threads instead of the poll's virtual thread. A virtual thread computing for a second pins its
 * carrier, and there are only as many carriers as cores, shared with API requests and heartbeats;
 * platform threads are preempted by the operating system, so the rest of the process stays
 * responsive however heavy the bodies. The caller's virtual thread waits without a carrier.
 *
 * <p>One user's work takes at most half of the threads (at least one) at once; their further
 * work waits its turn on its own, so one user's many heavy bodies cannot queue ahead of everyone
 * else's.
 */
final class CpuWork implements AutoCloseable {

    private final ExecutorService threads;
    private final int perUser;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition freed = lock.newCondition();
    private final Map<UUID, Integer> running = new HashMap<>();

    CpuWork(int threads) {
        this.threads = Executors.newFixedThreadPool(threads, Thread.ofPlatform().name("pollster-cpu-", 0).daemon().factory());
        this.perUser = Math.max(1, threads / 2);
    }

    <T> T call(UUID owner, Callable<T> work) throws Exception {
        enter(owner);
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
    int running(UUID owner) {
        lock.lock();
        try {
            return running.getOrDefault(owner, 0);
        } finally {
            lock.unlock();
        }
    }

    private void enter(UUID owner) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (running.getOrDefault(owner, 0) >= perUser) {
                freed.await();
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

    @Override
    public void close() {
        threads.shutdownNow();
    }
}
