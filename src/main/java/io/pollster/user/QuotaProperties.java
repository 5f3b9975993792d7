package io.pollster.user;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * What one user may hold unless the admin gives them their own quota ({@code pollster.quota.*}).
 *
 * @param jobs        jobs per user; creating one more answers 403
 * @param storedBytes bytes stored per user: response bodies (each distinct body of a job once, as
 *                    received), items and followed details (each by its size as received); a poll
 *                    that would store a new version beyond it fails and says so, and so does a run
 *                    whose items find no room left
 */
@ConfigurationProperties("pollster.quota")
public record QuotaProperties(@DefaultValue("1000") int jobs, @DefaultValue("1GB") DataSize storedBytes) {

    public QuotaProperties {
        if (jobs < 0 || storedBytes.isNegative()) {
            throw new IllegalArgumentException("pollster.quota.jobs and pollster.quota.stored-bytes must not be negative");
        }
    }
}
