package io.pollster.poll;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

import io.pollster.job.JobId;
import io.pollster.job.JobStatus;

/**
 * What a poll must read fresh every time: whether its job still runs, which definition it is at,
 * and what the last poll left (validators, latest hash, adaptive interval, the last fire marked
 * done). The definition itself changes rarely and is read only when {@code version} moves.
 *
 * @param expectedSlow whether this job's next poll may hold a slot for long: it has never been
 *                     polled, or its last poll took more than a second
 * @param consecutiveFailures the job's failed polls since its last success
 */
record PollState(JobId id, UUID ownerId, JobStatus status, long version, Duration effectiveInterval, String etag,
                 String lastModified, byte[] latestHash, Instant doneFireAt, boolean expectedSlow,
                 int consecutiveFailures) {
}
