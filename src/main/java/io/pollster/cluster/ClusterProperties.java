package io.pollster.cluster;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param heartbeatInterval how often a process records that it is alive (and refreshes queue depths)
 * @param deadAfter         heartbeats missed, as a multiple of the interval, before a node counts as gone
 */
@ConfigurationProperties("pollster.cluster")
public record ClusterProperties(@DefaultValue("10s") Duration heartbeatInterval, @DefaultValue("3") int deadAfter) {
}
