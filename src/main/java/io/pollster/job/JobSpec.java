package io.pollster.job;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import tools.jackson.databind.JsonNode;

/**
 * A validated job definition with its defaults filled in, durations in ISO-8601. Stored as JSON
 * (secret header values replaced by {@code "***"}; the real ones are encrypted beside it) and
 * answered as part of the job.
 */
public record JobSpec(
        String name,
        String url,
        String method,
        Map<String, String> headers,
        Map<String, String> secretHeaders,
        JsonNode body,
        String interval,
        String cron,
        String jitter,
        String timeout,
        Retry retry,
        Dedup dedup,
        JsonNode pagination,
        JsonNode items,
        JsonNode cache,
        Adaptive adaptive,
        JsonNode rateLimit,
        List<JsonNode> outputs,
        Integer alertAfterFailures,
        String expectChangeWithin,
        boolean active) {

    public static final String MASK = "***";
    public static final int DEFAULT_ALERT_AFTER_FAILURES = 3;

    public JobSpec {
        // a definition stored before the field existed
        alertAfterFailures = alertAfterFailures == null ? DEFAULT_ALERT_AFTER_FAILURES : alertAfterFailures;
        outputs = outputs == null ? List.of() : outputs;
    }

    public record Retry(int maxAttempts, String backoff, String maxBackoff) {
    }

    public record Dedup(String mode, List<String> ignorePaths, List<String> ignorePatterns) {
    }

    public record Adaptive(String min, String max) {
    }

    /** The same definition, active or not. */
    public JobSpec withActive(boolean active) {
        return new JobSpec(name, url, method, headers, secretHeaders, body, interval, cron, jitter, timeout, retry, dedup,
                pagination, items, cache, adaptive, rateLimit, outputs, alertAfterFailures, expectChangeWithin, active);
    }

    /** The same definition showing these outputs (a webhook's generated secret, once, in the answer that made it). */
    public JobSpec withOutputs(List<JsonNode> shown) {
        return new JobSpec(name, url, method, headers, secretHeaders, body, interval, cron, jitter, timeout, retry, dedup,
                pagination, items, cache, adaptive, rateLimit, shown, alertAfterFailures, expectChangeWithin, active);
    }

    public Duration timeoutDuration() {
        return Duration.parse(timeout);
    }

    public Duration jitterDuration() {
        return Duration.parse(jitter);
    }
}
