package io.pollster.poll;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Polling limits.
 *
 * @param minInterval  the shortest interval a job may ask for ({@code pollster.min-interval}, 1s)
 * @param pollHistory  poll-history entries kept per job ({@code pollster.poll-history}, 100)
 * @param maxBodySize  larger upstream bodies fail the poll ({@code pollster.max-body-size}, 10MB)
 */
@ConfigurationProperties("pollster")
public record PollProperties(
        @DefaultValue("1s") Duration minInterval,
        @DefaultValue("100") int pollHistory,
        @DefaultValue("10MB") DataSize maxBodySize) {
}
