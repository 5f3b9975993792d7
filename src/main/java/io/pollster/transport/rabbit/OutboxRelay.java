package io.pollster.transport.rabbit;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Moves committed outbox rows to the broker: in one transaction it locks a batch
 * ({@code SKIP LOCKED}, so every process may relay), publishes it with confirms and deletes it.
 * A process that dies after publishing and before its commit leaves the rows for the next relay,
 * which publishes them again: at least once, never lost. A commit that enqueued wakes the relay
 * at once; otherwise it looks every poll interval.
 */
final class OutboxRelay implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

    private final Outbox outbox;
    private final RabbitPublisher publisher;
    private final TransactionTemplate tx;
    private final RabbitTransportProperties properties;
    private final Duration pollInterval;
    private final AtomicBoolean running = new AtomicBoolean();
    private final Object signal = new Object();
    private boolean woken;
    private volatile Thread thread;

    OutboxRelay(Outbox outbox, RabbitPublisher publisher, TransactionTemplate tx, RabbitTransportProperties properties,
                Duration pollInterval) {
        this.outbox = outbox;
        this.publisher = publisher;
        this.tx = tx;
        this.properties = properties;
        this.pollInterval = pollInterval;
    }

    /** Publishes one batch; returns how many rows it moved. */
    int relayOnce() {
        Integer moved = tx.execute(status -> {
            List<Outbox.Row> rows = outbox.claim(properties.outboxBatch());
            if (rows.isEmpty()) {
                return 0;
            }
            publisher.publish(rows.stream()
                    .map(row -> new RabbitPublisher.Outgoing(row.queue(), row.payload(), row.messageId(), row.createdAt()))
                    .toList());
            outbox.delete(rows);
            return rows.size();
        });
        return moved == null ? 0 : moved;
    }

    void wake() {
        synchronized (signal) {
            woken = true;
            signal.notifyAll();
        }
    }

    private void run() {
        Duration backoff = pollInterval;
        int failures = 0;
        while (running.get()) {
            try {
                int moved = relayOnce();
                if (failures > 0) {
                    log.info("Relaying the outbox works again, after {} failed attempts", failures);
                    failures = 0;
                    backoff = pollInterval;
                }
                if (moved < properties.outboxBatch()) {
                    pause(pollInterval, true);
                }
            } catch (RuntimeException e) {
                if (failures++ == 0) {
                    log.warn("Relaying the outbox failed; retrying with backoff until it works: {}", e.toString());
                } else {
                    log.debug("Relaying the outbox failed again (attempt {}): {}", failures, e.toString());
                }
                // a commit's wake-up does not cut the backoff short: the broker is not back because work arrived
                pause(backoff, false);
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            }
        }
    }

    private void pause(Duration duration, boolean wakeable) {
        long deadline = System.nanoTime() + duration.toNanos();
        synchronized (signal) {
            while (running.get() && !(wakeable && woken)) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    break;
                }
                try {
                    signal.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    running.set(false);
                }
            }
            woken = false;
        }
    }

    @Override
    public void start() {
        if (running.compareAndSet(false, true)) {
            thread = Thread.ofVirtual().name("outbox-relay").start(this::run);
        }
    }

    /** Last round on the way out: what the stopping scheduler and API committed is published now, not at the next start. */
    @Override
    public void stop() {
        if (running.compareAndSet(true, false)) {
            wake();
            try {
                thread.join(Duration.ofSeconds(10));
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (relayOnce() > 0 && System.nanoTime() < deadline) {
                    // drain what is left, for a bounded time
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                log.warn("Could not relay the rest of the outbox before stopping; the next relay will: {}", e.toString());
            }
        }
    }

    @Override
    public boolean isRunning() {
        return running.get();
    }

    /** Stops after the scheduler, the API and the consumers, before the database and the broker connection. */
    @Override
    public int getPhase() {
        return Integer.MAX_VALUE - 2000;
    }
}
