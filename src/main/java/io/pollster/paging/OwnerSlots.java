package io.pollster.paging;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Pages in flight per owner on this node: one user's runs hold at most {@code cap} of the node's
 * page slots, so another user's pages always find some free. Their further pages wait on the queue.
 */
final class OwnerSlots {

    private final int cap;
    private final Map<UUID, AtomicInteger> held = new ConcurrentHashMap<>();

    OwnerSlots(int cap) {
        this.cap = cap;
    }

    /** A slot to release when the page is over, or null when the owner holds its share. */
    AutoCloseable tryTake(UUID owner) {
        AtomicInteger count = held.computeIfAbsent(owner, o -> new AtomicInteger());
        if (count.incrementAndGet() > cap) {
            release(owner, count);
            return null;
        }
        return () -> release(owner, count);
    }

    private void release(UUID owner, AtomicInteger count) {
        if (count.decrementAndGet() == 0) {
            held.remove(owner, count); // a count that is taken again meanwhile is a new one: computeIfAbsent
        }
    }
}
