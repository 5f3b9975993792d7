package io.pollster.transport.rabbit;

import java.time.Clock;
import java.time.Duration;
import java.util.List;

import io.pollster.system.loop.LoopService;
import io.pollster.system.loop.Loops;
import io.pollster.system.loop.ShutdownPhase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Moves committed outbox rows to the broker: in one transaction it locks a batch of due rows
 * ({@code SKIP LOCKED}, so every process may relay), publishes it with confirms and deletes it.
 * A process that dies after publishing and before its commit leaves the rows for the next relay,
 * which publishes them again: at least once, never lost. A commit that enqueued wakes the relay
 * at once; otherwise it looks every poll interval (rows put back for later become due by themselves).
 */
final class OutboxRelay extends LoopService {

    private static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

    private final Outbox outbox;
    private final RabbitPublisher publisher;
    private final TransactionTemplate tx;
    private final RabbitTransportProperties properties;
    private final Duration pollInterval;
    private final Clock clock;
    private int failures;
    private long retryAtNanos;

    OutboxRelay(Outbox outbox, RabbitPublisher publisher, TransactionTemplate tx, RabbitTransportProperties properties,
                Duration pollInterval, Clock clock, Loops loops) {
        // stops after the scheduler, the API and the consumers, before the database and the broker connection
        super(loops, "outbox-relay", pollInterval, ShutdownPhase.RELAYING, Duration.ofSeconds(10));
        this.outbox = outbox;
        this.publisher = publisher;
        this.tx = tx;
        this.properties = properties;
        this.pollInterval = pollInterval;
        this.clock = clock;
    }

    /** Publishes one batch; returns how many rows it moved. */
    int relayOnce() {
        Integer moved = tx.execute(status -> {
            List<Outbox.Row> rows = outbox.claim(properties.outboxBatch(), clock.instant());
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

    void relayNow() {
        wake();
    }

    /** Only the loop's thread runs this. */
    @Override
    protected Duration runOnce() {
        long backoffLeft = retryAtNanos - System.nanoTime();
        if (failures > 0 && backoffLeft > 0) {
            // a commit's wake-up does not cut the backoff short: the broker is not back because work arrived
            return Duration.ofNanos(backoffLeft);
        }
        try {
            int moved = relayOnce();
            if (failures > 0) {
                log.info("Relaying the outbox works again, after {} failed attempts", failures);
                failures = 0;
            }
            return moved < properties.outboxBatch() ? pollInterval : Duration.ZERO;
        } catch (RuntimeException e) {
            if (failures++ == 0) {
                log.warn("Relaying the outbox failed; retrying with backoff until it works: {}", e.toString());
            } else {
                log.debug("Relaying the outbox failed again (attempt {}): {}", failures, e.toString());
            }
            Duration backoff = pollInterval.multipliedBy(1L << Math.min(failures - 1, 20));
            backoff = backoff.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff;
            retryAtNanos = System.nanoTime() + backoff.toNanos();
            return backoff;
        }
    }

    /** Last round on the way out: what the stopping scheduler and API committed is published now, not at the next start. */
    @Override
    protected void afterStop(boolean finished) {
        if (!finished) {
            return; // its round still runs
        }
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (relayOnce() > 0 && System.nanoTime() < deadline) {
                // drain what is left, for a bounded time
            }
        } catch (RuntimeException e) {
            log.warn("Could not relay the rest of the outbox before stopping; the next relay will: {}", e.toString());
        }
    }
}
