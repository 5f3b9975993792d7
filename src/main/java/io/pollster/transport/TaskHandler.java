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

    /**
     * The task has run out of attempts and becomes a dead letter: the handler closes whatever it
     * keeps of the task's progress and says what the dead letter is about, so that its owner (and
     * only they) can see it. Called in the dead letter's transaction, and possibly more than once
     * for one task (a transport repeats it when the process died before acknowledging), so it must
     * be idempotent. Called for payloads the handler cannot read too.
     *
     * @param error why the transport gave up
     */
    DeadLetterInfo abandon(byte[] payload, String error);

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
