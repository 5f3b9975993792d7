package io.pollster.job;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

import io.pollster.dedup.DedupMode;
import io.pollster.dedup.DedupSpec;
import io.pollster.fetch.AddressPolicy;
import io.pollster.fetch.FetchRequest;
import io.pollster.fetch.Origin;
import io.pollster.schedule.Schedule;
import io.pollster.system.Durations;
import io.pollster.system.PollsterProperties;
import io.pollster.system.web.ApiException;
import io.pollster.system.web.InvalidField;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;

/**
 * Turns a {@link JobRequest} into a {@link JobSpec} with defaults, or a 400 listing every wrong
 * field at once. Limits keep one job from costing the service more than a job should.
 */
@Component
class JobValidator {

    static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD");
    static final Duration MAX_INTERVAL = Duration.ofDays(30);
    static final int MAX_URL_LENGTH = 2048;
    static final int MAX_HEADERS = 50;
    static final int MAX_HEADER_VALUE = 8192;
    static final int MAX_BODY_BYTES = 1024 * 1024;
    /** Headers and secret headers together; upstream servers refuse much more than this anyway. */
    static final int MAX_HEADER_BYTES = 16 * 1024;
    static final int MAX_NAME = 200;
    private static final Pattern DOTTED_QUAD = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern NUMERIC_HOST = Pattern.compile("([0-9a-fx]+\\.)*(\\d+|0x[0-9a-f]*)\\.?");
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+\\-.^_`|~0-9A-Za-z]{1,256}");
    /**
     * Set by Pollster itself: conditional-request headers come from the stored validators, and
     * Accept-Encoding names only the codings Pollster decodes.
     */
    private static final Set<String> OWN_HEADERS = Set.of("if-none-match", "if-modified-since", "accept-encoding");
    private static final String NUL_MESSAGE = "must not contain NUL characters (\\u0000)";

    private final Duration minInterval;
    private final AddressPolicy addresses;
    private final Clock clock;
    /** Whether RabbitMQ outputs have a broker: the RabbitMQ transport, or {@code SPRING_RABBITMQ_*} set. */
    private final boolean brokerConfigured;
    private final RabbitOutputProperties rabbitOutputs;

    JobValidator(PollsterProperties properties, @Value("${pollster.fetch.allow-private-networks:false}") boolean allowPrivateNetworks,
                 Clock clock, @Value("${pollster.transport:postgres}") String transport,
                 @Value("${spring.rabbitmq.host:}") String rabbitHost, @Value("${spring.rabbitmq.addresses:}") String rabbitAddresses,
                 RabbitOutputProperties rabbitOutputs) {
        this.rabbitOutputs = rabbitOutputs;
        this.brokerConfigured = transport.equals("rabbitmq") || !rabbitHost.isBlank() || !rabbitAddresses.isBlank();
        this.minInterval = properties.minInterval();
        this.addresses = AddressPolicy.defaultPolicy(allowPrivateNetworks);
        this.clock = clock;
    }

    /** @param outputs the outputs as stored, as this answer shows them, and their secrets */
    record Validated(JobSpec spec, Map<String, String> secrets, Schedule schedule, Duration effectiveInterval,
                     OutputsValidator.Result outputs) {
    }

    /**
     * What a job being changed has now.
     *
     * @param url     its current URL; secrets kept with {@code "***"} must stay on its origin
     * @param secrets its current secret header values, which {@code "***"} keeps
     * @param outputSecrets its outputs' current secrets by position, which {@code "***"} keeps
     *                      while the output at that position keeps its URL's origin
     * @param outputs       its outputs now, by position
     */
    record Existing(String url, Map<String, String> secrets, List<String> outputSecrets, List<JsonNode> outputs) {
        static final Existing NONE = new Existing(null, Map.of(), List.of(), List.of());
    }

    Validated validate(JobRequest r, Existing existing) {
        Errors errors = new Errors();

        String name = r.name();
        if (name != null && (name.isBlank() || name.length() > MAX_NAME)) {
            errors.add("name", "must be 1 to " + MAX_NAME + " characters");
        } else if (name != null && name.indexOf('\u0000') >= 0) {
            errors.add("name", NUL_MESSAGE);
        }
        String url = url("url", r.url(), errors);
        String method = r.method() == null ? "GET" : r.method().strip().toUpperCase(Locale.ROOT);
        if (!METHODS.contains(method)) {
            errors.add("method", "must be one of GET, POST, PUT, PATCH, DELETE, HEAD");
        }
        Map<String, String> headers = headers("headers", r.headers(), errors);
        boolean sameOrigin = existing.url() == null || url == null || sameOrigin(existing.url(), url);
        Map<String, String> secrets = secretHeaders(r.secretHeaders(), existing.secrets(), sameOrigin, errors);
        long headerBytes = headerBytes(headers) + headerBytes(secrets);
        if (headerBytes > MAX_HEADER_BYTES) {
            errors.add("headers", "headers and secretHeaders must be at most " + MAX_HEADER_BYTES / 1024
                    + " KiB together, are " + headerBytes + " bytes");
        }
        for (String secret : secrets.keySet()) {
            if (headers.keySet().stream().anyMatch(h -> h.equalsIgnoreCase(secret))) {
                errors.add("secretHeaders." + secret, "is also in headers; give it in one place");
            }
        }
        body(r.body(), method, errors);

        Schedule schedule = null;
        Duration interval = null;
        if ((r.interval() == null) == (r.cron() == null)) {
            errors.add(r.interval() == null ? "interval" : "cron", "give exactly one of interval or cron");
        } else if (r.interval() != null) {
            interval = duration("interval", r.interval(), errors);
            if (interval != null && (interval.compareTo(minInterval) < 0 || interval.compareTo(MAX_INTERVAL) > 0)) {
                errors.add("interval", "must be between " + minInterval + " and " + MAX_INTERVAL);
                interval = null;
            }
            schedule = interval == null ? null : new Schedule.Every(interval);
        } else {
            try {
                schedule = new Schedule.Cron(r.cron());
                schedule.firstFrom(clock.instant());
            } catch (IllegalArgumentException e) {
                errors.add("cron", e.getMessage());
                schedule = null;
            } catch (IllegalStateException never) {
                errors.add("cron", "never fires (no such date)");
                schedule = null;
            }
        }

        Duration jitter = r.jitter() == null ? Duration.ZERO : duration("jitter", r.jitter(), errors);
        Duration jitterLimit = interval != null ? interval : Duration.ofHours(1);
        if (jitter != null && (jitter.isNegative() || jitter.compareTo(jitterLimit) > 0)) {
            errors.add("jitter", "must be between 0 and " + jitterLimit);
        }
        Duration timeout = r.timeout() == null ? Duration.ofSeconds(10) : duration("timeout", r.timeout(), errors);
        if (timeout != null && (timeout.compareTo(Duration.ofMillis(100)) < 0 || timeout.compareTo(Duration.ofMinutes(5)) > 0)) {
            errors.add("timeout", "must be between 100ms and 5m");
        }
        JobSpec.Retry retry = retry(r.retry(), errors);
        JobSpec.Dedup dedup = dedup(r.dedup(), errors);
        JobSpec.Adaptive adaptive = null;
        Duration effective = interval;
        if (r.adaptive() != null) {
            Duration min = duration("adaptive.min", r.adaptive().min(), errors);
            Duration max = duration("adaptive.max", r.adaptive().max(), errors);
            if (r.cron() != null) {
                errors.add("adaptive", "works with interval, not cron");
            } else if (min != null && max != null) {
                if (min.compareTo(minInterval) < 0 || max.compareTo(MAX_INTERVAL) > 0 || min.compareTo(max) > 0) {
                    errors.add("adaptive", "needs " + minInterval + " <= min <= max <= " + MAX_INTERVAL);
                } else {
                    adaptive = new JobSpec.Adaptive(min.toString(), max.toString());
                    if (interval != null) {
                        effective = clamp(interval, min, max);
                    }
                }
            }
        }
        JobSpec.Pagination pagination = PagingValidator.pagination(r.pagination(), errors);
        JobSpec.Items items = PagingValidator.items(r.items(), errors);
        JobSpec.RateLimit rateLimit = PagingValidator.rateLimit(r.rateLimit(), errors);
        if (items != null && items.follow() != null && pagination == null && r.pagination() == null) {
            errors.add("items.follow", "needs pagination: detail fetches run as part of a run (a single page is "
                    + "{\"type\":\"auto\"})");
        }
        JobSpec.Cache cache = CacheValidator.cache(r.cache(), errors);
        if (cache != null && (pagination != null || r.pagination() != null && !r.pagination().isNull())) {
            errors.add("cache", "applies to jobs of one request per fire, not to paginated runs");
        }
        OutputsValidator.Result outputs = OutputsValidator.validate(r.outputs(), existing.outputSecrets(), existing.outputs(),
                this::url, brokerConfigured, rabbitOutputs, errors);
        int alertAfterFailures = r.alertAfterFailures() == null ? JobSpec.DEFAULT_ALERT_AFTER_FAILURES : r.alertAfterFailures();
        if (alertAfterFailures < 1 || alertAfterFailures > 1000) {
            errors.add("alertAfterFailures", "must be between 1 and 1000");
        }
        Duration expectChangeWithin = r.expectChangeWithin() == null ? null
                : duration("expectChangeWithin", r.expectChangeWithin(), errors);
        if (expectChangeWithin != null && (expectChangeWithin.compareTo(Duration.ofSeconds(1)) < 0
                || expectChangeWithin.compareTo(Duration.ofDays(366)) > 0)) {
            errors.add("expectChangeWithin", "must be between 1s and 366d");
        }
        errors.throwIfAny();

        Map<String, String> maskedSecrets = new TreeMap<>();
        secrets.keySet().forEach(k -> maskedSecrets.put(k, JobSpec.MASK));
        JobSpec spec = new JobSpec(name, url, method, headers, maskedSecrets, nullIfJsonNull(r.body()),
                interval == null ? null : interval.toString(), r.cron() == null ? null : r.cron().strip(),
                jitter.toString(), timeout.toString(), retry, dedup, pagination, items, cache, adaptive, rateLimit, outputs.stored(),
                alertAfterFailures, expectChangeWithin == null ? null : expectChangeWithin.toString(), r.active() == null || r.active());
        return new Validated(spec, secrets, schedule, effective, outputs);
    }

    static Duration clamp(Duration value, Duration min, Duration max) {
        return value.compareTo(min) < 0 ? min : value.compareTo(max) > 0 ? max : value;
    }

    String url(String field, String raw, Errors errors) {
        if (raw == null || raw.isBlank()) {
            errors.add(field, "is required");
            return null;
        }
        if (raw.length() > MAX_URL_LENGTH) {
            errors.add(field, "must be at most " + MAX_URL_LENGTH + " characters");
            return null;
        }
        try {
            URI uri = new URI(raw.strip());
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!uri.isAbsolute() || !(scheme.equals("http") || scheme.equals("https"))) {
                errors.add(field, "must be an absolute http or https URL");
                return null;
            }
            if (uri.getHost() == null || uri.getHost().isEmpty()) {
                errors.add(field, "must name a host");
                return null;
            }
            if (uri.getRawUserInfo() != null) {
                errors.add(field, field.equals("url") ? "must not carry credentials; use secretHeaders" : "must not carry credentials");
                return null;
            }
            if (uri.getPort() != -1 && (uri.getPort() < 1 || uri.getPort() > 65535)) {
                errors.add(field, "has port " + uri.getPort() + "; a port is between 1 and 65535");
                return null;
            }
            String refused = refusedHost(uri.getHost());
            if (refused != null) {
                errors.add(field, refused);
                return null;
            }
            return uri.toString();
        } catch (URISyntaxException e) {
            errors.add(field, "is not a valid URL");
            return null;
        }
    }

    /**
     * The SSRF guard checks every address at connect time; a host that is itself an address (or
     * localhost) can be judged now, so the mistake shows at creation instead of at every poll.
     * Host names are not resolved here: what they resolve to may change, and is checked when polled.
     */
    private String refusedHost(String host) {
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        String lower = bare.toLowerCase(Locale.ROOT);
        InetAddress literal;
        try {
            if (lower.equals("localhost") || lower.endsWith(".localhost")) {
                literal = InetAddress.getLoopbackAddress();
            } else if (bare.contains(":") || DOTTED_QUAD.matcher(bare).matches()) {
                literal = InetAddress.getByName(bare); // a literal: no DNS lookup
            } else if (NUMERIC_HOST.matcher(lower).matches()) {
                // 2130706433, 127.1, 0x7f.1: no host name ends in a number, and resolvers read these as addresses
                return addresses.refusalReason(InetAddress.getLoopbackAddress()).isPresent()
                        ? "has host " + bare + ", an address written other than as a.b.c.d; write it as a.b.c.d" : null;
            } else {
                return null; // a name: what it resolves to is checked when it is polled
            }
        } catch (UnknownHostException e) {
            return "has host " + bare + ", which is not a valid address";
        }
        return addresses.refusalReason(literal)
                .map(reason -> "refused: " + bare + " is " + reason + "; set POLLSTER_FETCH_ALLOW_PRIVATE_NETWORKS=true to allow private networks")
                .orElse(null);
    }

    static boolean sameOrigin(String before, String after) {
        try {
            return Origin.of(URI.create(before)).equals(Origin.of(URI.create(after)));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static long headerBytes(Map<String, String> headers) {
        return headers.entrySet().stream().mapToLong(e -> e.getKey().length() + e.getValue().length()).sum();
    }

    private static Map<String, String> headers(String field, Map<String, String> given, Errors errors) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (given == null) {
            return headers;
        }
        if (given.size() > MAX_HEADERS) {
            errors.add(field, "at most " + MAX_HEADERS + " headers");
            return headers;
        }
        given.forEach((name, value) -> {
            String at = field + "." + name;
            if (!HEADER_NAME.matcher(name).matches()) {
                errors.add(at, "is not a legal header name");
            } else if (FetchRequest.isReservedHeader(name) || OWN_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                errors.add(at, "is set by Pollster itself");
            } else if (value == null || value.length() > MAX_HEADER_VALUE || value.chars().anyMatch(c -> c < 0x20 && c != '\t' || c == 0x7f)) {
                errors.add(at, "must be a value of at most " + MAX_HEADER_VALUE + " characters without control characters");
            } else {
                headers.put(name, value);
            }
        });
        return headers;
    }

    /**
     * @param sameOrigin false when the URL moves to another origin: a secret must then be given
     *                   again, never carried along with {@code "***"} to a server it was not meant for
     */
    private static Map<String, String> secretHeaders(Map<String, String> given, Map<String, String> existing,
                                                     boolean sameOrigin, Errors errors) {
        if (given == null) {
            return new TreeMap<>();
        }
        Map<String, String> resolved = new LinkedHashMap<>();
        given.forEach((name, value) -> {
            if (JobSpec.MASK.equals(value)) {
                String kept = existing.get(name);
                if (kept == null) {
                    errors.add("secretHeaders." + name, "'***' keeps an existing secret, and this job has none by that name");
                } else if (!sameOrigin) {
                    errors.add("secretHeaders." + name, "the URL now points to another origin (scheme, host or port): "
                            + "give this secret again, or drop the secrets with \"secretHeaders\": null");
                } else {
                    resolved.put(name, kept);
                }
            } else {
                resolved.put(name, value);
            }
        });
        return new TreeMap<>(headers("secretHeaders", resolved, errors));
    }

    private static void body(JsonNode body, String method, Errors errors) {
        if (body == null || body.isNull()) {
            return;
        }
        if (!Set.of("POST", "PUT", "PATCH").contains(method)) {
            errors.add("body", "only POST, PUT and PATCH send a body");
        } else if (body.toString().getBytes(StandardCharsets.UTF_8).length > MAX_BODY_BYTES) {
            errors.add("body", "must be at most 1 MiB");
        } else if (containsNul(body)) {
            // why: PostgreSQL's JSONB cannot hold \u0000; it would answer 500 on the insert
            errors.add("body", NUL_MESSAGE);
        }
    }

    private static boolean containsNul(JsonNode node) {
        if (node.isString()) {
            return node.asString().indexOf('\u0000') >= 0;
        }
        for (var field : node.properties()) {
            if (field.getKey().indexOf('\u0000') >= 0 || containsNul(field.getValue())) {
                return true;
            }
        }
        for (JsonNode element : node.isArray() ? node.values() : List.<JsonNode>of()) {
            if (containsNul(element)) {
                return true;
            }
        }
        return false;
    }

    private static JobSpec.Retry retry(JobRequest.Retry given, Errors errors) {
        int maxAttempts = given == null || given.maxAttempts() == null ? 3 : given.maxAttempts();
        Duration backoff = given == null || given.backoff() == null ? Duration.ofSeconds(1) : duration("retry.backoff", given.backoff(), errors);
        Duration maxBackoff = given == null || given.maxBackoff() == null ? Duration.ofMinutes(1) : duration("retry.maxBackoff", given.maxBackoff(), errors);
        if (maxAttempts < 1 || maxAttempts > 10) {
            errors.add("retry.maxAttempts", "must be between 1 and 10");
        }
        if (backoff != null && (backoff.isNegative() || backoff.compareTo(Duration.ofMinutes(10)) > 0)) {
            errors.add("retry.backoff", "must be between 0 and 10m");
        }
        if (backoff != null && maxBackoff != null && (maxBackoff.compareTo(backoff) < 0 || maxBackoff.compareTo(Duration.ofHours(1)) > 0)) {
            errors.add("retry.maxBackoff", "must be between backoff and 1h");
        }
        return backoff == null || maxBackoff == null ? null
                : new JobSpec.Retry(maxAttempts, backoff.toString(), maxBackoff.toString());
    }

    private static JobSpec.Dedup dedup(JobRequest.Dedup given, Errors errors) {
        if (given == null) {
            return new JobSpec.Dedup(null, List.of(), List.of());
        }
        DedupMode mode = null;
        if (given.mode() != null) {
            try {
                mode = DedupMode.fromWireName(given.mode());
            } catch (IllegalArgumentException e) {
                errors.add("dedup.mode", "must be one of exact, json, text");
            }
        }
        DedupSpec spec = new DedupSpec(mode, given.ignorePaths(), given.ignorePatterns());
        spec.validate("dedup").forEach(errors::add);
        for (String field : List.of("ignorePaths", "ignorePatterns")) {
            List<String> entries = field.equals("ignorePaths") ? spec.ignorePaths() : spec.ignorePatterns();
            for (int i = 0; i < entries.size(); i++) {
                if (entries.get(i) != null && entries.get(i).indexOf('\u0000') >= 0) {
                    errors.add("dedup." + field + "[" + i + "]", NUL_MESSAGE);
                }
            }
        }
        return new JobSpec.Dedup(mode == null ? null : mode.wireName(), spec.ignorePaths(), spec.ignorePatterns());
    }

    private static JsonNode nullIfJsonNull(JsonNode node) {
        return node == null || node.isNull() ? null : node;
    }

    private static Duration duration(String field, String text, Errors errors) {
        try {
            return Durations.parse(text);
        } catch (IllegalArgumentException e) {
            errors.add(field, e.getMessage());
            return null;
        }
    }

    /** Collects field errors so the caller hears about all of them at once. */
    static final class Errors {
        private final List<InvalidField> list = new ArrayList<>();

        void add(String field, String message) {
            list.add(new InvalidField(field, message));
        }

        void add(InvalidField error) {
            list.add(error);
        }

        int size() {
            return list.size();
        }

        void throwIfAny() {
            if (!list.isEmpty()) {
                throw ApiException.invalid(list);
            }
        }
    }

}
