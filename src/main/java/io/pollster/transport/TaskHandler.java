package io.pollster.transport;

import java.util.UUID;

/** Processes one task. Returning acknowledges it; throwing makes the transport retry it. */
public interface TaskHandler {

    void handle(Delivery delivery) throws Exception;

    /** What a dead letter of this payload is about, so its owner (and only they) can see it. */
    DeadLetterInfo describe(byte[] payload);

    record Delivery(byte[] payload, int attempt) {
    }

    record DeadLetterInfo(String type, UUID jobId, UUID ownerId) {
    }
}
