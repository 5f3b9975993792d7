package io.pollster.paging;

import java.time.Instant;
import java.util.UUID;

/**
 * A run is over: published in the transaction that ends it, so the fire it carried out is
 * recorded done (as one poll of the job) with it.
 *
 * @param fireAt  the fire the run carried out, or null
 * @param changed whether the run found anything new: a changed page, a new or changed item
 * @param error   why it failed, or null
 */
public record RunEnded(UUID runId, UUID jobId, Instant fireAt, Instant startedAt, Instant finishedAt, String status,
                       boolean changed, String error) {
}
