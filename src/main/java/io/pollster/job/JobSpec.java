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
        Pagination pagination,
        Items items,
        Cache cache,
        Adaptive adaptive,
        RateLimit rateLimit,
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

    /**
     * How one fire walks the pages of a paginated API; null fields are not used by its type.
     *
     * @param type      page, offset, cursor, link or auto
     * @param param     the page number's (page) or the offset's (offset) query parameter
     * @param start     the first page's number (page)
     * @param sizeParam the page size's query parameter, or null to send none
     * @param size      items per page: sent as {@code sizeParam}, and what makes a page short
     * @param totalIs   what {@code totalPath} counts: items or pages
     */
    public record Pagination(String type, String param, Integer start, String sizeParam, Integer size, String totalPath,
                             String totalIs, String cursorParam, String cursorPath, String nextUrlPath, String hasMorePath,
                             int maxPages, int parallelism) {

        public static final int DEFAULT_MAX_PAGES = 10_000;
        public static final int DEFAULT_PARALLELISM = 8;
    }

    /** How a body splits into items: where they are, what names each, and where its detail is. */
    public record Items(String path, String key, String follow) {
    }

    /**
     * Polls of every job issuing the same request share one upstream call per {@code ttl}; a poll
     * that finds another's call under way waits for it up to {@code waitTimeout}. ISO-8601.
     */
    public record Cache(String ttl, String waitTimeout) {

        public Duration ttlDuration() {
            return Duration.parse(ttl);
        }

        public Duration waitTimeoutDuration() {
            return Duration.parse(waitTimeout);
        }
    }

    /** At most {@code limit} requests per {@code per} (ISO-8601) from this job, cluster-wide. */
    public record RateLimit(int limit, String per) {

        public Duration perDuration() {
            return Duration.parse(per);
        }
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

    /** The request body as sent: a JSON string as its text, any other JSON as JSON; null for none. */
    public byte[] requestBody() {
        if (body == null) {
            return null;
        }
        return (body.isString() ? body.asString() : body.toString()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The headers as sent (secret ones apart): a JSON body gets {@code Content-Type: application/json} unless one is set. */
    public Map<String, String> requestHeaders() {
        if (body == null || body.isString() || headers.keySet().stream().anyMatch(h -> h.equalsIgnoreCase("Content-Type"))) {
            return Map.copyOf(headers);
        }
        Map<String, String> withType = new java.util.LinkedHashMap<>(headers);
        withType.put("Content-Type", "application/json");
        return Map.copyOf(withType);
    }

    public Duration timeoutDuration() {
        return Duration.parse(timeout);
    }

    public Duration jitterDuration() {
        return Duration.parse(jitter);
    }
}
