package io.pollster.system.memory;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Memory limits ({@code pollster.memory.*}).
 *
 * @param inFlight the {@link ByteBudget}: bytes of request bodies, upstream bodies and queue
 *                 entries held in memory at once by this process. Unset: a quarter of the JVM's
 *                 maximum heap ({@code -Xmx}), which leaves the rest for the copies made while
 *                 that data is parsed and written, and for everything else
 * @param perUser  what one user's polls and requests may always hold of it; beyond that a user
 *                 borrows only while as much stays free for everyone else, so that one user's
 *                 large or slow bodies never take the whole budget. Unset: a quarter of
 *                 {@code in-flight}, but at least 32MB (a body of the largest size while it is
 *                 copied), never more than {@code in-flight}
 */
@ConfigurationProperties("pollster.memory")
public record MemoryProperties(DataSize inFlight, DataSize perUser) {

    private static final long MIN_DEFAULT_PER_USER = 32L * 1024 * 1024;

    public MemoryProperties {
        if (inFlight != null && inFlight.toBytes() < 1) {
            throw new IllegalArgumentException("pollster.memory.in-flight must be at least 1B, e.g. 256MB; unset it for a quarter of the heap");
        }
        if (perUser != null && perUser.toBytes() < 1) {
            throw new IllegalArgumentException("pollster.memory.per-user must be at least 1B, e.g. 64MB; unset it for a quarter of in-flight");
        }
    }

    /** The configured share of one user, or a quarter of {@code inFlightBytes} (at least 32MB); never more than it. */
    long perUserBytes(long inFlightBytes) {
        long share = perUser != null ? perUser.toBytes() : Math.max(inFlightBytes / 4, MIN_DEFAULT_PER_USER);
        return Math.min(share, inFlightBytes);
    }

    /** The configured budget, or a quarter of {@code maxHeap}. */
    long inFlightBytes(long maxHeap) {
        return inFlight != null ? inFlight.toBytes() : Math.max(1, maxHeap / 4);
    }
}
