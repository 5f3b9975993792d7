package io.pollster.poll;

import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Shares this process's poll slots fairly between users. A poll is slow when its job is expected
 * to be (never polled yet, or its last poll took more than {@link #SLOW}) or when it has run that
 * long. Three rules, each refusing a slot (the poll goes back on the queue for a moment):
 * <ul>
 * <li>a user with {@code slowCap} slow polls running gets no slot for another poll expected to be
 *     slow, so a user's tarpit upstreams cannot take every slot and stall another user's job;</li>
 * <li>a user with {@code slowCap} polls that have actually run longer than {@link #SLOW} gets no
 *     slot at all, so jobs that answer quickly now and then slowly cannot pass as fast ones;</li>
 * <li>no user holds more than {@code maxPerUser} slots, so the rest of the process is left to the
 *     others even in the second before a poll shows itself slow.</li>
 * </ul>
 * Within those, polls of jobs known to be fast are never held back: a busy user with quick
 * upstreams uses most of the process.
 */
final class FairShare {

    /** A poll running longer than this holds its slot long enough to crowd others out. */
    static final Duration SLOW = Duration.ofSeconds(1);

    private final int slowCap;
    private final int maxPerUser;
    private final LongSupplier nanoTime;
    private final ConcurrentHashMap<UUID, Set<Ticket>> running = new ConcurrentHashMap<>();

    FairShare(int slowCap, int maxPerUser) {
        this(slowCap, maxPerUser, System::nanoTime);
    }

    FairShare(int slowCap, int maxPerUser, LongSupplier nanoTime) {
        this.slowCap = slowCap;
        this.maxPerUser = Math.max(slowCap, maxPerUser);
        this.nanoTime = nanoTime;
    }

    /** A slot for one poll of {@code owner}, or null when one of the rules above refuses it. */
    Ticket tryEnter(UUID owner, boolean expectedSlow) {
        Ticket ticket = new Ticket(owner, nanoTime.getAsLong(), expectedSlow);
        boolean[] admitted = {false};
        running.compute(owner, (key, tickets) -> {
            Set<Ticket> set = tickets != null ? tickets : ConcurrentHashMap.newKeySet();
            if (set.size() < maxPerUser && admits(set, ticket)) {
                set.add(ticket);
                admitted[0] = true;
            }
            return set.isEmpty() ? null : set;
        });
        return admitted[0] ? ticket : null;
    }

    private boolean admits(Set<Ticket> tickets, Ticket ticket) {
        int slow = 0;
        int overrun = 0;
        for (Ticket t : tickets) {
            boolean ranLong = ticket.startedNanos - t.startedNanos >= SLOW.toNanos();
            overrun += ranLong ? 1 : 0;
            slow += t.expectedSlow || ranLong ? 1 : 0;
        }
        return overrun < slowCap && (!ticket.expectedSlow || slow < slowCap);
    }

    /** Polls of the owner running in this process now; for tests. */
    int running(UUID owner) {
        Set<Ticket> tickets = running.get(owner);
        return tickets == null ? 0 : tickets.size();
    }

    /** A held slot; close gives it back. */
    final class Ticket implements AutoCloseable {
        private final UUID owner;
        private final long startedNanos;
        private final boolean expectedSlow;

        private Ticket(UUID owner, long startedNanos, boolean expectedSlow) {
            this.owner = owner;
            this.startedNanos = startedNanos;
            this.expectedSlow = expectedSlow;
        }

        @Override
        public void close() {
            running.computeIfPresent(owner, (key, tickets) -> {
                tickets.remove(this);
                return tickets.isEmpty() ? null : tickets;
            });
        }
    }
}
