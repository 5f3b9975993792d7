package io.pollster.transport;

import java.time.Instant;

/**
 * @param name   the queue's full name (with the installation's prefix)
 * @param depth  tasks waiting on it (on PostgreSQL also those in flight)
 * @param oldest when the oldest waiting task was enqueued; null when none waits or the broker
 *               cannot say
 */
public record QueueStats(String name, long depth, Instant oldest) {
}
