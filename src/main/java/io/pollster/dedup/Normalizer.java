package io.pollster.dedup;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.jayway.jsonpath.Configuration;
import com.jayway.jsonpath.JsonPath;
import com.jayway.jsonpath.JsonPathException;
import com.jayway.jsonpath.Option;
import com.jayway.jsonpath.spi.json.JacksonJsonNodeJsonProvider;
import com.jayway.jsonpath.spi.mapper.JacksonMappingProvider;

/**
 * Turns a response body into what dedup compares: the normalised content and its SHA-256.
 *
 * <p>Bad upstream content never makes it throw: a body that is not JSON in json mode, or patterns and paths
 * that would take longer than the time limit (or, for patterns, a step budget) on a body, fall back to the raw
 * bytes ({@link Normalized#fellBack()}). Only a spec that
 * does not {@link DedupSpec#validate(String) validate} is refused, with an {@link IllegalArgumentException}.
 *
 * <p>Thread-safe; share one instance. Paths and patterns are compiled once per distinct spec.
 */
public final class Normalizer {

    // why: a poller serves many jobs, most with the default spec; the bound keeps a flood of distinct specs from
    // growing the cache without end, and clearing it now and then costs only recompiles
    private static final int MAX_CACHED_SPECS = 1024;

    // why: a sane pattern reads each character a few times; 100 per character for all of a body's patterns
    // together, plus a floor, leaves ample room for them while stopping catastrophic backtracking within about a
    // second on a 10 MiB body; the time limit covers what the count does not (JSONPath, slow machines)
    private static final long REGEX_STEPS_PER_CHAR = 100;
    private static final long REGEX_MIN_STEPS = 1_000_000;
    static final Duration DEFAULT_MAX_TIME = Duration.ofSeconds(2);

    private static final Compiled NOTHING_IGNORED = new Compiled(List.of(), List.of());

    private final ObjectReader reader;
    private final Configuration jsonPaths;
    private final ConcurrentMap<DedupSpec, Compiled> compiled = new ConcurrentHashMap<>();
    private final Duration maxTime;

    public Normalizer() {
        this(DEFAULT_MAX_TIME);
    }

    /**
     * @param maxTime the CPU time one body's normalisation may take before it falls back to exact (wall time on a
     *                virtual thread, where the JVM does not measure CPU time)
     */
    public Normalizer(Duration maxTime) {
        this.maxTime = maxTime;
        JsonMapper mapper = JsonMapper.builder()
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                // why: CanonicalJson strips zeros itself, guarded against exponents BigDecimal cannot hold
                .configure(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false)
                .build();
        this.reader = mapper.reader();
        this.jsonPaths = Configuration.builder()
                .jsonProvider(new JacksonJsonNodeJsonProvider(mapper))
                .mappingProvider(new JacksonMappingProvider(mapper))
                .options(Option.SUPPRESS_EXCEPTIONS)
                .build();
    }

    /**
     * Normalises and hashes one body.
     *
     * @param body        the response body as received
     * @param contentType its {@code Content-Type}, or {@code null}; picks the mode when the spec has none, and
     *                    the charset in text mode (default UTF-8)
     * @param spec        the job's dedup spec, already validated; {@code null} means {@link DedupSpec#DEFAULT}
     */
    public Normalized normalize(byte[] body, String contentType, DedupSpec spec) {
        Objects.requireNonNull(body, "body");
        DedupSpec effective = spec == null ? DedupSpec.DEFAULT : spec;
        DedupMode mode = effective.mode() != null ? effective.mode()
                : ContentTypes.isJson(contentType) ? DedupMode.JSON : DedupMode.EXACT;
        BudgetedText.Deadline deadline = BudgetedText.Deadline.after(maxTime);
        return switch (mode) {
            case EXACT -> exact(body, false);
            case JSON -> json(body, contentType, compiled(effective), deadline);
            case TEXT -> text(body, contentType, compiled(effective), deadline);
        };
    }

    private Normalized json(byte[] body, String contentType, Compiled spec, BudgetedText.Deadline deadline) {
        JsonNode tree;
        byte[] content;
        try {
            tree = parse(body, contentType);
            if (tree == null || tree.isMissingNode()) {
                return exact(body, true);
            }
            // why: each path costs at most one walk of the document (DedupSpec refuses regex filters and nested
            // deep scans), so the time is checked between paths
            BudgetedText.Budget budget = new BudgetedText.Budget(Long.MAX_VALUE, deadline);
            for (JsonPath path : spec.paths()) {
                budget.checkTime();
                delete(tree, path);
            }
            content = CanonicalJson.write(tree);
        } catch (IOException | ArithmeticException | NumberFormatException notJson) {
            return exact(body, true);
        } catch (BudgetedText.Exhausted | StackOverflowError tooExpensive) {
            return exact(body, true);
        }
        return new Normalized(DedupMode.JSON, content, sha256(content), false);
    }

    private JsonNode parse(byte[] body, String contentType) throws IOException {
        Charset declared = ContentTypes.declaredCharset(contentType);
        // why: Jackson detects UTF-8/16/32 from the bytes; any other declared charset must be decoded first
        if (declared != null && !declared.name().startsWith("UTF-")) {
            return reader.readTree(new String(body, declared));
        }
        return reader.readTree(body);
    }

    private void delete(JsonNode tree, JsonPath path) {
        try {
            path.delete(tree, jsonPaths);
        } catch (JsonPathException doesNotApply) {
            // why: a path that cannot apply to this document (a property of a scalar, say) matches nothing
        }
    }

    private Normalized text(byte[] body, String contentType, Compiled spec, BudgetedText.Deadline deadline) {
        String text = new String(body, ContentTypes.charset(contentType));
        var budget = new BudgetedText.Budget(Math.max(REGEX_MIN_STEPS, REGEX_STEPS_PER_CHAR * text.length()), deadline);
        for (Pattern pattern : spec.patterns()) {
            try {
                text = deleteMatches(pattern, text, budget);
            } catch (BudgetedText.Exhausted | StackOverflowError tooExpensive) {
                // why: java.util.regex recurses on some patterns (e.g. (a|b)*), so a long input can overflow the
                // stack; like a runaway pattern, that is this body's problem, not the poller's
                return exact(body, true);
            }
        }
        byte[] content = text.getBytes(StandardCharsets.UTF_8);
        return new Normalized(DedupMode.TEXT, content, sha256(content), false);
    }

    private static String deleteMatches(Pattern pattern, String text, BudgetedText.Budget budget) {
        Matcher matcher = pattern.matcher(new BudgetedText(text, budget));
        StringBuilder kept = null;
        int keptUpTo = 0;
        while (matcher.find()) {
            if (kept == null) {
                kept = new StringBuilder(text.length());
            }
            kept.append(text, keptUpTo, matcher.start());
            keptUpTo = matcher.end();
        }
        if (kept == null) {
            return text;
        }
        return kept.append(text, keptUpTo, text.length()).toString();
    }

    private static Normalized exact(byte[] body, boolean fellBack) {
        return new Normalized(DedupMode.EXACT, body, sha256(body), fellBack);
    }

    private Compiled compiled(DedupSpec spec) {
        if (spec.ignorePaths().isEmpty() && spec.ignorePatterns().isEmpty()) {
            return NOTHING_IGNORED;
        }
        Compiled cached = compiled.get(spec);
        if (cached != null) {
            return cached;
        }
        if (compiled.size() >= MAX_CACHED_SPECS) {
            compiled.clear();
        }
        return compiled.computeIfAbsent(spec, Normalizer::compile);
    }

    private static Compiled compile(DedupSpec spec) {
        var errors = spec.validate("dedup");
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException("Invalid dedup spec (validate it before use): " + errors);
        }
        return new Compiled(
                spec.ignorePaths().stream().map(path -> JsonPath.compile(path)).toList(),
                spec.ignorePatterns().stream().map(Pattern::compile).toList());
    }

    public static byte[] sha256(byte[] content) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(content);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every JDK has SHA-256", e);
        }
    }

    private record Compiled(List<JsonPath> paths, List<Pattern> patterns) {
    }
}
