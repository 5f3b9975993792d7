package io.pollster.transport;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * Where work that has run out of attempts ends: both transports and the poller record their dead
 * letters through this one seam (the {@code deadletter} capability owns the table behind it).
 */
public interface DeadLetterSink {

    /**
     * Records a dead letter; returns false when there was nothing to record it for — its job or
     * its owner has been deleted meanwhile, and with them everything that was theirs — so the
     * caller can drop the task. Repeats of one job's same poll failure collapse into one dead
     * letter that counts them. Joins the caller's transaction if there is one.
     */
    boolean record(DeadLetter letter);

    /** The start of the error of a dead letter for deliveries dropped unsent ({@link #recordDropped}). */
    String DROPPED = "dropped:";

    /**
     * Records that {@code count} deliveries of one job's output were dropped unsent, as one dead
     * letter of type {@code delivery} per job and error (the error, which starts with
     * {@link #DROPPED}, names the output): a later drop with the same error adds to its count and
     * gives it its payload and time. False when the job or owner is gone. Joins the caller's
     * transaction.
     *
     * @throws IllegalArgumentException when it is not such a dead letter
     */
    boolean recordDropped(DeadLetter letter, int count);

    /**
     * @param id        a stable id when the same dead letter may be recorded twice (a redelivered
     *                  message whose acknowledgement was lost); null for a new one
     * @param queue     the queue a replay puts it back on, with the installation's prefix
     */
    record DeadLetter(UUID id, DeadLetterType type, UUID jobId, UUID ownerId, String queue, byte[] payload, String error,
                      int attempts, Instant failedAt) {

        private static final int MAX_ERROR = 2000;

        public DeadLetter {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(payload, "payload");
            Objects.requireNonNull(failedAt, "failedAt");
            error = error == null || error.isBlank() ? "unknown error" : error;
            error = error.length() > MAX_ERROR ? error.substring(0, MAX_ERROR) : error;
        }

        /** A dead letter of a task described by its handler. */
        public static DeadLetter of(UUID id, TaskHandler.DeadLetterInfo info, String queue, byte[] payload, String error,
                                    int attempts, Instant failedAt) {
            return new DeadLetter(id, info.type(), info.jobId(), info.ownerId(), queue, payload, error, attempts, failedAt);
        }
    }
}
