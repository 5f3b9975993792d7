package io.pollster.cluster;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param heartbeatInterval how often a process records that it is alive and looks for dead ones
 * @param deadAfter         heartbeats missed, as a multiple of the interval, before a node counts as
 *                          dead: it leaves the cluster view and what it held (queue tasks, deliveries)
 *                          is released to the live nodes. At least 3, so that one late heartbeat of
 *                          a busy node never costs it its work
 * @param depthInterval     how often a process refreshes the {@code pollster_queue_depth} gauges
 */
@ConfigurationProperties("pollster.cluster")
public record ClusterProperties(@DefaultValue("1s") Duration heartbeatInterval, @DefaultValue("5") int deadAfter,
                                @DefaultValue("10s") Duration depthInterval) {

    public ClusterProperties {
        if (heartbeatInterval.compareTo(Duration.ofMillis(50)) < 0) {
            throw new IllegalArgumentException("pollster.cluster.heartbeat-interval must be at least 50ms, is " + heartbeatInterval);
        }
        if (deadAfter < 3) {
            throw new IllegalArgumentException("pollster.cluster.dead-after must be at least 3 (heartbeats missed), is " + deadAfter);
        }
        if (depthInterval.compareTo(Duration.ofMillis(50)) < 0) {
            throw new IllegalArgumentException("pollster.cluster.depth-interval must be at least 50ms, is " + depthInterval);
        }
    }

    /** How long a node may go without a heartbeat before it counts as dead. */
    public Duration deadAfterTime() {
        return heartbeatInterval.multipliedBy(deadAfter);
    }
}
