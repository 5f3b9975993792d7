package io.pollster.job;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * What a poll must read fresh from the job row every time: whether it still runs, which
 * definition it is at, and what the last poll left (validators, latest hash, adaptive interval,
 * the last fire marked done). The definition itself changes rarely and is read only when
 * {@code version} moves.
 *
 * @param expectedSlow whether this job's next poll may hold a slot for long: it has never been polled,
 *                     its last poll took more than a second, or a due time was skipped while it ran
 */
public record PollState(JobId id, UUID ownerId, JobStatus status, long version, Duration effectiveInterval, String etag,
                        String lastModified, byte[] latestHash, Instant doneFireAt, boolean expectedSlow) {
}
