package io.pollster.job;

import java.time.Duration;
import java.util.Iterator;
import java.util.Set;

import io.pollster.system.Durations;
import tools.jackson.databind.JsonNode;

/** Checks a job's {@code cache} and fills its default wait. */
final class CacheValidator {

    static final Duration MIN_TTL = Duration.ofSeconds(1);
    static final Duration MAX_TTL = Duration.ofDays(1);
    static final Duration MIN_WAIT = Duration.ofMillis(100);
    /** The wait when none is given: the TTL, at most this. */
    static final Duration DEFAULT_WAIT = Duration.ofSeconds(10);
    private static final Set<String> FIELDS = Set.of("ttl", "waitTimeout");

    private CacheValidator() {
    }

    static JobSpec.Cache cache(JsonNode given, JobValidator.Errors errors) {
        if (given == null || given.isNull()) {
            return null;
        }
        if (!given.isObject()) {
            errors.add("cache", "must be an object such as {\"ttl\":\"60s\",\"waitTimeout\":\"10s\"}");
            return null;
        }
        int before = errors.size();
        for (Iterator<String> names = given.propertyNames().iterator(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                errors.add("cache." + name, "is not a known field (ttl, waitTimeout)");
            }
        }
        Duration ttl = duration(given, "ttl", errors);
        if (ttl == null && !given.hasNonNull("ttl")) {
            errors.add("cache.ttl", "is required: how long one upstream answer serves every job that sends the same request");
        }
        if (ttl != null && (ttl.compareTo(MIN_TTL) < 0 || ttl.compareTo(MAX_TTL) > 0)) {
            errors.add("cache.ttl", "must be between 1s and 1d");
            ttl = null;
        }
        Duration wait = duration(given, "waitTimeout", errors);
        if (wait != null && wait.compareTo(MIN_WAIT) < 0) {
            errors.add("cache.waitTimeout", "must be at least 100ms");
        } else if (wait != null && ttl != null && wait.compareTo(ttl) > 0) {
            errors.add("cache.waitTimeout", "must not be longer than ttl (" + Durations.format(ttl) + ")");
        }
        if (errors.size() > before || ttl == null) {
            return null;
        }
        if (wait == null) {
            wait = ttl.compareTo(DEFAULT_WAIT) < 0 ? ttl : DEFAULT_WAIT;
        }
        return new JobSpec.Cache(ttl.toString(), wait.toString());
    }

    private static Duration duration(JsonNode given, String field, JobValidator.Errors errors) {
        JsonNode value = given.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isString()) {
            errors.add("cache." + field, "must be a duration such as \"60s\"");
            return null;
        }
        try {
            return Durations.parse(value.asString());
        } catch (IllegalArgumentException e) {
            errors.add("cache." + field, e.getMessage());
            return null;
        }
    }
}
