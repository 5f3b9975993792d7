package io.pollster.poll;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs CPU-heavy steps of a poll (normalising and hashing a large body) on a few platform
 * threads instead of the poll's virtual thread. A virtual thread computing for a second pins its
 * carrier, and there are only as many carriers as cores, shared with API requests and heartbeats;
 * platform threads are preempted by the operating system, so the rest of the process stays
 * responsive however heavy the bodies. The caller's virtual thread waits without a carrier.
 */
final class CpuWork implements AutoCloseable {

    private final ExecutorService threads;

    CpuWork(int threads) {
        this.threads = Executors.newFixedThreadPool(threads, Thread.ofPlatform().name("pollster-cpu-", 0).daemon().factory());
    }

    <T> T call(Callable<T> work) throws Exception {
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
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }
}
