package io.pollster.transport;

import java.time.Duration;
import java.util.Objects;
import java.util.UUID;

/**
 * Processes one task. Returning {@link Done} acknowledges it; returning {@link Later} puts it back
 * on its queue; throwing (an {@code Error} too) is a failure, retried with backoff and
 * dead-lettered after the last attempt.
 */
public interface TaskHandler {

    Result handle(Delivery delivery) throws Exception;

    /** What a dead letter of this payload is about, so its owner (and only they) can see it. */
    DeadLetterInfo describe(byte[] payload);

    /** @param attempt deliveries of this task so far, this one included; {@link Later} does not count */
    record Delivery(byte[] payload, int attempt) {
    }

    record DeadLetterInfo(DeadLetterType type, UUID jobId, UUID ownerId) {
    }

    /** What became of a task. */
    sealed interface Result permits Done, Later {
    }

    /** Handled: the task is acknowledged and gone. */
    record Done() implements Result {
    }

    Done DONE = new Done();

    /**
     * Not now: the task goes back on its queue as {@code payload} (the handler's progress, e.g. a
     * retry count), to be delivered again after {@code delay}, without holding a consumer slot
     * meanwhile and without counting as a failed attempt.
     */
    record Later(Duration delay, byte[] payload) implements Result {
        public Later {
            Objects.requireNonNull(delay, "delay");
            Objects.requireNonNull(payload, "payload");
            if (delay.isNegative()) {
                throw new IllegalArgumentException("delay must not be negative");
            }
        }
    }
}
