package io.pollster.transport;

import java.time.Duration;

/** A running consumer of one queue. */
public interface QueueConsumer extends AutoCloseable {

    /** Stops claiming, waits up to {@code grace} for tasks in hand, and hands the rest back. */
    void stop(Duration grace);

    @Override
    default void close() {
        stop(Duration.ofSeconds(10));
    }
}
