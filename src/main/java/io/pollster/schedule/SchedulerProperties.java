package io.pollster.schedule;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param enabled      whether this process fires due jobs (the {@code scheduler} role)
 * @param batchSize    due jobs claimed per transaction
 * @param pollInterval the longest an idle scheduler waits before looking for due jobs again (it
 *                     wakes earlier when the next job is due sooner); bounds how late a job
 *                     created or rescheduled by another node can be picked up
 */
@ConfigurationProperties("pollster.scheduler")
public record SchedulerProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("500") int batchSize,
        @DefaultValue("50ms") Duration pollInterval) {
}
