package io.pollster.transport;

import java.time.Duration;

/**
 * @param concurrency       tasks handled at once by this consumer
 * @param maxAttempts       deliveries before a task becomes a dead letter
 * @param visibilityTimeout how long a claimed task stays invisible to others; extended while its
 *                          handler runs, so it only lapses when the consumer dies
 * @param retryBackoff      delay before the first redelivery of a failed task (doubles each time)
 */
public record ConsumerSettings(int concurrency, int maxAttempts, Duration visibilityTimeout, Duration retryBackoff) {

    public ConsumerSettings {
        if (concurrency < 1 || maxAttempts < 1) {
            throw new IllegalArgumentException("concurrency and maxAttempts must be at least 1");
        }
    }
}
