package io.pollster.version;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param versions versions kept per job ({@code pollster.retention.versions}, 1000)
 * @param age      versions older than this are pruned ({@code pollster.retention.age}, 90d); the
 *                 newest version of a job is always kept
 * @param interval how often pruning runs
 */
@ConfigurationProperties("pollster.retention")
public record RetentionProperties(
        @DefaultValue("1000") int versions,
        @DefaultValue("90d") Duration age,
        @DefaultValue("5m") Duration interval) {
}
