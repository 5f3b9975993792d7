package io.pollster.poll;

import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Shares this process's poll slots fairly between users. A poll is slow when its job is expected
 * to be (never polled yet, or its last poll took more than {@link #SLOW}) or when it has run that
 * long. A user with {@code slowCap} slow polls running gets no slot for another poll expected to be
 * slow until one of them ends — those go back on the queue — so a user's tarpit upstreams cannot
 * take every slot and stall another user's one-second job. Polls of jobs known to be fast are
 * never held back, however many: a busy user with quick upstreams uses the whole process.
 */
final class FairShare {

    /** A poll running longer than this holds its slot long enough to crowd others out. */
    static final Duration SLOW = Duration.ofSeconds(1);

    private final int slowCap;
    private final ConcurrentHashMap<UUID, Set<Ticket>> running = new ConcurrentHashMap<>();

    FairShare(int slowCap) {
        this.slowCap = slowCap;
    }

    /**
     * A slot for one poll of {@code owner}, or null when the poll is expected to be slow and the
     * owner's slow polls fill their share.
     */
    Ticket tryEnter(UUID owner, boolean expectedSlow) {
        Ticket ticket = new Ticket(owner, System.nanoTime(), expectedSlow);
        boolean[] admitted = {false};
        running.compute(owner, (key, tickets) -> {
            Set<Ticket> set = tickets != null ? tickets : ConcurrentHashMap.newKeySet();
            if (!expectedSlow || slow(set, ticket.startedNanos) < slowCap) {
                set.add(ticket);
                admitted[0] = true;
            }
            return set.isEmpty() ? null : set;
        });
        return admitted[0] ? ticket : null;
    }

    /** Polls of the owner running in this process now; for tests. */
    int running(UUID owner) {
        Set<Ticket> tickets = running.get(owner);
        return tickets == null ? 0 : tickets.size();
    }

    private static int slow(Set<Ticket> tickets, long now) {
        int slow = 0;
        for (Ticket t : tickets) {
            if (t.expectedSlow || now - t.startedNanos >= SLOW.toNanos()) {
                slow++;
            }
        }
        return slow;
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
