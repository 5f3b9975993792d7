package io.pollster.job;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * A job: its definition, with what the scheduler and the poller keep about it.
 *
 * @param stale it has {@code expectChangeWithin}, and a {@code job.stale} event reported a quiet
 *              spell that no change has ended since
 */
public record Job(
        JobId id,
        UUID ownerId,
        JobSpec spec,
        byte[] sealedSecrets,
        JobStatus status,
        Duration effectiveInterval,
        Instant nextRunAt,
        Instant lastRunAt,
        String lastOutcome,
        Stats stats,
        long version,
        Instant createdAt,
        Instant updatedAt,
        boolean stale) {

    public record Stats(long polls, long changes, long failures, int consecutiveFailures) {
    }
}
