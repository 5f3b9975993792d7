package io.pollster.cache;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.springframework.stereotype.Component;

/**
 * The polls of this node waiting for another poll's answer, by key. A backend's notification
 * ({@link #landed}) wakes those of one key; a lost notification channel wakes them all, to look
 * again. A waiter registers before it looks, so an answer landing between its look and its wait
 * still wakes it.
 */
@Component
class CacheWaiters {

    private final ConcurrentHashMap<String, Set<Waiter>> byKey = new ConcurrentHashMap<>();

    /** Registers a waiter for {@code key}; close it when done. */
    Waiter register(String key) {
        Waiter waiter = new Waiter(key);
        byKey.compute(key, (k, set) -> {
            Set<Waiter> waiting = set != null ? set : ConcurrentHashMap.newKeySet();
            waiting.add(waiter);
            return waiting;
        });
        return waiter;
    }

    /** An answer for {@code key} was written, or its lease given back. */
    void landed(String key) {
        Set<Waiter> waiting = byKey.get(key);
        if (waiting != null) {
            waiting.forEach(Waiter::wake);
        }
    }

    /** Notifications may have been missed: everyone looks again. */
    void wakeAll() {
        byKey.values().forEach(set -> set.forEach(Waiter::wake));
    }

    /** Polls of this node waiting for {@code key} (or about to look at it). */
    int waitingFor(String key) {
        Set<Waiter> waiting = byKey.get(key);
        return waiting == null ? 0 : waiting.size();
    }

    final class Waiter implements AutoCloseable {

        private final String key;
        private final CountDownLatch woken = new CountDownLatch(1);

        private Waiter(String key) {
            this.key = key;
        }

        /** @return whether it was woken (rather than timed out) */
        boolean await(Duration max) throws InterruptedException {
            return woken.await(Math.max(1, max.toMillis()), TimeUnit.MILLISECONDS);
        }

        private void wake() {
            woken.countDown();
        }

        @Override
        public void close() {
            byKey.computeIfPresent(key, (k, set) -> {
                set.remove(this);
                return set.isEmpty() ? null : set;
            });
        }
    }
}
