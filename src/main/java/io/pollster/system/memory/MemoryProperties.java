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
 */
@ConfigurationProperties("pollster.memory")
public record MemoryProperties(DataSize inFlight) {

    public MemoryProperties {
        if (inFlight != null && inFlight.toBytes() < 1) {
            throw new IllegalArgumentException("pollster.memory.in-flight must be at least 1B, e.g. 256MB; unset it for a quarter of the heap");
        }
    }

    /** The configured budget, or a quarter of {@code maxHeap}. */
    long inFlightBytes(long maxHeap) {
        return inFlight != null ? inFlight.toBytes() : Math.max(1, maxHeap / 4);
    }
}
