package io.pollster.output;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.UUID;

import io.pollster.transport.DeadLetterSink;
import io.pollster.transport.DeadLetterType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Bounds what waits for a receiver slower than its job's events (a {@code rate} of 1 a day, a
 * receiver retried for hours): a lane keeps at most {@code pollster.outputs.max-pending} pending
 * deliveries, and each one keeps its event (and a version's patch) in the database. Beyond that,
 * the oldest deliveries that wait behind the lane's head fail unsent, and become one dead letter
 * per output that counts them; their events are then pruned like delivered ones. The head, armed
 * or being sent, and anything leased with it, is never dropped; the newest events are kept, as
 * they tell the receiver the latest state.
 *
 * <p>Retention calls it for each batch of jobs it walks; each lane is trimmed in transactions of
 * at most {@link #BATCH} deliveries that take the lane's output lock without waiting for it (a lane
 * whose output is busy is trimmed next pass).
 */
@Component
public class DeliveryBacklog {

    private static final Logger log = LoggerFactory.getLogger(DeliveryBacklog.class);

    /** Deliveries dropped per transaction. */
    static final int BATCH = 5_000;

    private final Deliveries deliveries;
    private final DeadLetterSink deadLetters;
    private final TransactionTemplate tx;
    private final JsonMapper json;
    private final Clock clock;
    private final int maxPending;

    DeliveryBacklog(Deliveries deliveries, DeadLetterSink deadLetters, TransactionTemplate tx, JsonMapper json, Clock clock,
                    @Value("${pollster.outputs.max-pending:1000}") int maxPending) {
        if (maxPending < 1) {
            throw new IllegalArgumentException("pollster.outputs.max-pending must be at least 1, is " + maxPending);
        }
        this.deliveries = deliveries;
        this.deadLetters = deadLetters;
        this.tx = tx;
        this.json = json;
        this.clock = clock;
        this.maxPending = maxPending;
    }

    /**
     * Trims the lanes of these jobs to {@code max-pending} deliveries each. Runs its own
     * transactions: call it outside one.
     *
     * @return the deliveries dropped
     */
    public int trim(List<UUID> jobIds) {
        int total = 0;
        for (Deliveries.Lane lane : deliveries.crowded(jobIds, maxPending)) {
            total += trim(lane);
        }
        return total;
    }

    private int trim(Deliveries.Lane lane) {
        long keptFrom = deliveries.keptFrom(lane, maxPending);
        String error = DeadLetterSink.DROPPED + " more than " + maxPending + " deliveries were waiting for output " + lane.output()
                + " (pollster.outputs.max-pending), as its receiver or rate is slower than the job's events: the oldest waiting"
                + " ones were dropped unsent; the job's events list the rest";
        int dropped = 0;
        while (true) {
            Integer count = tx.execute(status -> {
                Deliveries.Dropped batch = deliveries.dropWaiting(lane, keptFrom, BATCH, error);
                if (batch.count() > 0) {
                    deadLetters.recordDropped(letter(lane, batch, error), batch.count());
                }
                return batch.count();
            });
            dropped += count == null ? 0 : count;
            if (count == null || count < BATCH) {
                break;
            }
        }
        if (dropped > 0) {
            log.info("Dropped {} deliveries waiting for output {} of job {}: more than {} were pending", dropped, lane.output(),
                    lane.jobId(), maxPending);
        }
        return dropped;
    }

    private DeadLetterSink.DeadLetter letter(Deliveries.Lane lane, Deliveries.Dropped batch, String error) {
        ObjectNode payload = json.createObjectNode();
        payload.put("output", lane.output());
        payload.put("dropped", batch.count());
        payload.put("oldestEventId", batch.oldestEvent().toString());
        payload.put("newestEventId", batch.newestEvent().toString());
        return new DeadLetterSink.DeadLetter(null, DeadLetterType.DELIVERY, lane.jobId(), lane.ownerId(), null,
                json.writeValueAsString(payload).getBytes(StandardCharsets.UTF_8), error, 0, clock.instant());
    }
}
