package io.pollster.job;

import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import io.pollster.dedup.DedupSpec;
import io.pollster.system.Durations;
import tools.jackson.databind.JsonNode;

/** Checks a job's {@code pagination}, {@code items} and {@code rateLimit} and fills their defaults. */
final class PagingValidator {

    static final int MAX_SIZE = 10_000;
    static final int MAX_PAGES = 1_000_000;
    static final int MAX_PARALLELISM = 64;
    static final int MAX_RATE = 10_000;
    private static final Pattern PARAM = Pattern.compile("[A-Za-z0-9._~\\-\\[\\]]{1,100}");
    private static final Set<String> COMMON = Set.of("type", "maxPages", "parallelism");
    private static final Map<String, Set<String>> FIELDS = Map.of(
            "page", Set.of("param", "start", "sizeParam", "size", "totalPath", "totalIs", "hasMorePath"),
            "offset", Set.of("param", "sizeParam", "size", "totalPath", "totalIs", "hasMorePath"),
            "cursor", Set.of("cursorParam", "cursorPath", "nextUrlPath"),
            "link", Set.of(),
            "auto", Set.of("sizeParam", "size"));
    private static final Set<String> ITEM_FIELDS = Set.of("path", "key", "follow");
    private static final Set<String> RATE_FIELDS = Set.of("limit", "per");

    private PagingValidator() {
    }

    static JobSpec.Pagination pagination(JsonNode given, JobValidator.Errors errors) {
        if (given == null || given.isNull()) {
            return null;
        }
        if (!given.isObject()) {
            errors.add("pagination", "must be an object with a type (page, offset, cursor, link or auto)");
            return null;
        }
        String type = given.path("type").isString() ? given.path("type").asString() : null;
        if (type == null || !FIELDS.containsKey(type)) {
            errors.add("pagination.type", "must be one of page, offset, cursor, link, auto");
            return null;
        }
        int before = errors.size();
        unknownFields("pagination", given, FIELDS.get(type), errors);
        Fields f = new Fields("pagination", given, errors);
        int maxPages = f.integer("maxPages", JobSpec.Pagination.DEFAULT_MAX_PAGES, 1, MAX_PAGES);
        int parallelism = f.integer("parallelism", JobSpec.Pagination.DEFAULT_PARALLELISM, 1, MAX_PARALLELISM);
        String totalPath = f.path("totalPath");
        String totalIs = f.text("totalIs", totalPath == null ? null : "items");
        if (totalIs != null && !totalIs.equals("items") && !totalIs.equals("pages")) {
            errors.add("pagination.totalIs", "must be items or pages");
        }
        if (given.has("totalIs") && totalPath == null) {
            errors.add("pagination.totalIs", "needs totalPath");
        }
        JobSpec.Pagination result = switch (type) {
            case "page" -> new JobSpec.Pagination(type, f.param("param", "page"), f.integer("start", 1, 0, Integer.MAX_VALUE),
                    f.param("sizeParam", null), f.integer("size", given.has("sizeParam") ? 100 : null, 1, MAX_SIZE), totalPath,
                    totalIs, null, null, null, f.path("hasMorePath"), maxPages, parallelism);
            case "offset" -> new JobSpec.Pagination(type, f.param("param", "offset"), null, f.param("sizeParam", "limit"),
                    f.integer("size", 100, 1, MAX_SIZE), totalPath, totalIs, null, null, null, f.path("hasMorePath"), maxPages,
                    parallelism);
            case "cursor" -> cursor(f, given, maxPages, parallelism, errors);
            case "auto" -> new JobSpec.Pagination(type, null, null, f.param("sizeParam", null),
                    f.integer("size", null, 1, MAX_SIZE), null, null, null, null, null, null, maxPages, parallelism);
            default -> new JobSpec.Pagination(type, null, null, null, null, null, null, null, null, null, null, maxPages,
                    parallelism);
        };
        return errors.size() > before ? null : result;
    }

    private static JobSpec.Pagination cursor(Fields f, JsonNode given, int maxPages, int parallelism,
                                             JobValidator.Errors errors) {
        String cursorPath = f.path("cursorPath");
        String nextUrlPath = f.path("nextUrlPath");
        String cursorParam = f.param("cursorParam", cursorPath == null ? null : "cursor");
        if ((cursorPath == null) == (nextUrlPath == null)) {
            errors.add("pagination", "a cursor takes either cursorPath (with cursorParam) or nextUrlPath");
        } else if (nextUrlPath != null && given.has("cursorParam")) {
            errors.add("pagination.cursorParam", "goes with cursorPath, not nextUrlPath");
        }
        return new JobSpec.Pagination("cursor", null, null, null, null, null, null, cursorParam, cursorPath, nextUrlPath, null,
                maxPages, parallelism);
    }

    static JobSpec.Items items(JsonNode given, JobValidator.Errors errors) {
        if (given == null || given.isNull()) {
            return null;
        }
        if (!given.isObject()) {
            errors.add("items", "must be an object with path and key");
            return null;
        }
        int before = errors.size();
        unknownFields("items", given, Set.of(), errors);
        Fields f = new Fields("items", given, errors);
        String path = f.path("path");
        String key = f.path("key");
        String follow = f.path("follow");
        if (path == null && !given.has("path")) {
            errors.add("items.path", "is required: where the items are, e.g. $.results[*]");
        }
        if (key == null && !given.has("key")) {
            errors.add("items.key", "is required: what names an item, e.g. $.id");
        }
        return errors.size() > before ? null : new JobSpec.Items(path, key, follow);
    }

    static JobSpec.RateLimit rateLimit(JsonNode given, JobValidator.Errors errors) {
        if (given == null || given.isNull()) {
            return null;
        }
        if (!given.isObject()) {
            errors.add("rateLimit", "must be an object such as {\"limit\":10,\"per\":\"1s\"}");
            return null;
        }
        int before = errors.size();
        unknownFields("rateLimit", given, Set.of(), errors);
        Fields f = new Fields("rateLimit", given, errors);
        if (!given.has("limit")) {
            errors.add("rateLimit.limit", "is required");
        }
        int limit = f.integer("limit", 1, 1, MAX_RATE);
        Duration per = Duration.ofSeconds(1);
        if (given.has("per")) {
            String text = f.text("per", null);
            try {
                per = text == null ? null : Durations.parse(text);
            } catch (IllegalArgumentException e) {
                errors.add("rateLimit.per", e.getMessage());
                per = null;
            }
            if (per != null && (per.compareTo(Duration.ofMillis(100)) < 0 || per.compareTo(Duration.ofHours(1)) > 0)) {
                errors.add("rateLimit.per", "must be between 100ms and 1h");
            }
        }
        return errors.size() > before ? null : new JobSpec.RateLimit(limit, per.toString());
    }

    private static void unknownFields(String prefix, JsonNode given, Set<String> allowed, JobValidator.Errors errors) {
        Set<String> fields = switch (prefix) {
            case "items" -> ITEM_FIELDS;
            case "rateLimit" -> RATE_FIELDS;
            default -> null;
        };
        for (Iterator<String> names = given.propertyNames().iterator(); names.hasNext(); ) {
            String name = names.next();
            boolean known = fields != null ? fields.contains(name) : COMMON.contains(name) || allowed.contains(name);
            if (!known) {
                errors.add(prefix + "." + name, fields != null ? "is not a known field"
                        : "is not a field of pagination type " + given.path("type").asString());
            }
        }
    }

    /** Reads one object's fields, naming each wrong one. */
    private record Fields(String prefix, JsonNode node, JobValidator.Errors errors) {

        Integer integer(String name, Integer fallback, int min, int max) {
            JsonNode value = node.get(name);
            if (value == null || value.isNull()) {
                return fallback;
            }
            if (!value.isIntegralNumber() || !value.canConvertToInt() || value.asInt() < min || value.asInt() > max) {
                errors.add(prefix + "." + name, "must be a whole number from " + min + " to " + max);
                return fallback;
            }
            return value.asInt();
        }

        String text(String name, String fallback) {
            JsonNode value = node.get(name);
            if (value == null || value.isNull()) {
                return fallback;
            }
            if (!value.isString() || value.asString().isBlank()) {
                errors.add(prefix + "." + name, "must be a non-empty string");
                return fallback;
            }
            return value.asString();
        }

        String param(String name, String fallback) {
            String value = text(name, fallback);
            if (value != null && !PARAM.matcher(value).matches()) {
                errors.add(prefix + "." + name, "must be a query parameter name (letters, digits, . _ ~ - [ ])");
                return fallback;
            }
            return value;
        }

        String path(String name) {
            String value = text(name, null);
            if (value == null) {
                return null;
            }
            String problem = DedupSpec.readPathProblem(value);
            if (problem != null) {
                errors.add(prefix + "." + name, problem);
                return null;
            }
            return value;
        }
    }
}
