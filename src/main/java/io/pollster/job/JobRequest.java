package io.pollster.job;

import java.util.List;
import java.util.Map;

import tools.jackson.databind.JsonNode;

/**
 * A job as the API receives it (POST body, or the stored definition with a merge patch applied).
 * Everything is optional here; {@link JobValidator} decides what is required and fills defaults.
 */
record JobRequest(
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
        Boolean active) {

    record Retry(Integer maxAttempts, String backoff, String maxBackoff) {
    }

    record Dedup(String mode, List<String> ignorePaths, List<String> ignorePatterns) {
    }

    record Adaptive(String min, String max) {
    }
}
